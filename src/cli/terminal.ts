// Text from the store printed to a terminal: control characters (an escape sequence in an account
// name) and the invisible characters that reorder or hide text (bidirectional overrides and
// isolates, zero-width characters) are shown as \xNN or \u{NNNN}, never sent to the terminal to act on.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g; // eslint-disable-line no-control-regex

export function printable(text: string): string {
  return text.replace(HIDDEN, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
