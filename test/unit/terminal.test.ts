// What the CLI prints of stored text: nothing a terminal would act on, nothing that reorders or hides text.
import { expect, it } from 'vitest';
import { printable } from '../../src/cli/terminal';

it('shows escape sequences, bidirectional overrides and zero-width characters instead of sending them', () => {
  expect(printable('Evil\u001b]0;PWNED\u0007\u001b[2J')).toBe('Evil\\x1b]0;PWNED\\x07\\x1b[2J');
  expect(printable('Red\u202eTXT.exe')).toBe('Red\\u{202e}TXT.exe');
  expect(printable('a\u2066b\u2069c\u200bd\ufeff')).toBe('a\\u{2066}b\\u{2069}c\\u{200b}d\\u{feff}');
  expect(printable('Zoë Café, 株式会社')).toBe('Zoë Café, 株式会社');
});
