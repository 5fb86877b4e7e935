/**
 * Text for a terminal: whatever a run's name, an imported archive or an error message holds, the
 * CLI never writes a control character the terminal would act on. ESC sequences (CSI, OSC, DCS...,
 * 7-bit and 8-bit forms) are removed whole; any other C0/C1 control character (BEL, backspace, CR,
 * DEL, U+0080-U+009F...) becomes `?`. Newlines and tabs pass only where the CLI itself puts them
 * (`keepLines`), never from a value inside a line.
 */

// eslint-disable-next-line no-control-regex -- ESC sequences are exactly what this removes
const ESC_SEQUENCE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
// eslint-disable-next-line no-control-regex -- the same, but letting the CLI's own newlines and tabs through
const CONTROL_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `s` with escape sequences removed and control characters replaced, safe to print. */
export function terminalSafe(s: string, keepLines = false): string {
  return s.replace(ESC_SEQUENCE, '').replace(keepLines ? CONTROL_BUT_LINES : CONTROL, '?');
}

/** JSON for a terminal: JSON.stringify escapes C0 already; DEL and C1 are escaped here too. */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
