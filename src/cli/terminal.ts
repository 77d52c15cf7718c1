// Text from the store printed to a terminal: control characters (an escape sequence in an account
// name) are shown as \xNN, never sent to the terminal to act on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex

export function printable(text: string): string {
  return text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
