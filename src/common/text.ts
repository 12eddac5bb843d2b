// Checks on text that comes from outside (file names, configuration values, server replies): control
// characters are refused everywhere they could forge a log line, a path or a protocol command.

/** True when `text` holds a C0 control character or DEL; with `c1`, also one of the C1 controls (U+0080–U+009F). */
export function hasControlCharacter(text: string, options: { c1?: boolean } = {}): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || (options.c1 === true && code >= 0x80 && code <= 0x9f)) return true;
  }
  return false;
}
