// The names the FTP file service hands out: one plain name in its root, nothing a path could hide in.

const plainFileName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Letters, digits, dot, underscore, dash; never a leading dot (those are the server's own temporary files). */
export function isPlainFileName(name: string): boolean {
  return plainFileName.test(name);
}
