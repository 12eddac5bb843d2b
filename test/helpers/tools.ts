// Peer programs from Debian that interop tests run. A test that needs one skips, with a one-line reason,
// on a machine without it; .ci/run installs them all, so in CI nothing skips.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of a program on PATH (or an absolute path that exists), else undefined. */
export function findProgram(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of [...candidates, `/usr/sbin/${name}`, `/sbin/${name}`]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next place
    }
  }
  return undefined;
}

/** `false` when every program is there, else the reason to skip: for node:test's `skip` option. */
export function missing(...names: string[]): string | false {
  const absent = names.filter((name) => findProgram(name) === undefined);
  return absent.length === 0 ? false : `needs ${absent.join(', ')} (Debian package; .ci/run installs it)`;
}
