// The running configuration on disk (config/running.cfg), always in its canonical rendered text so that
// its digest is the one a manager computes from the same configuration.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseConfig, renderConfig, type DeviceConfig } from '../protocol/config.ts';
import { readFileIfExists, syncDirectory, writeFileAtomic } from '../common/atomic-file.ts';

export interface RunningConfig {
  config: DeviceConfig;
  /** The canonical text, header included: what backupConfig uploads. */
  text: Buffer;
  format: number;
  digest: Buffer;
}

export function runningConfig(config: DeviceConfig): RunningConfig {
  const text = renderConfig(config);
  // configDigest is the SHA-256 of this very canonical text: hash it rather than render it a second time.
  return { config, text, format: config.format, digest: createHash('sha256').update(text).digest() };
}

export type LoadedConfig = { kind: 'missing' } | { kind: 'loaded'; running: RunningConfig } | { kind: 'unreadable'; problem: string };

export class ConfigStore {
  readonly path: string;

  constructor(
    readonly directory: string,
    /** Whether writes are flushed to the disk (writeFileAtomic's flush). */
    private readonly flush = true,
  ) {
    this.path = join(directory, 'running.cfg');
  }

  async load(): Promise<LoadedConfig> {
    const text = await readFileIfExists(this.path);
    if (text === undefined) return { kind: 'missing' };
    try {
      return { kind: 'loaded', running: runningConfig(parseConfig(text)) };
    } catch (error) {
      return { kind: 'unreadable', problem: (error as Error).message };
    }
  }

  async write(config: DeviceConfig): Promise<RunningConfig> {
    const running = runningConfig(config);
    await writeFileAtomic(this.path, running.text, { flush: this.flush });
    return running;
  }

  /** Moves an unreadable configuration aside (kept for the operator) so that the factory one can take its place. */
  async setAside(): Promise<string> {
    const aside = `${this.path}.unreadable-${Date.now()}`;
    await rename(this.path, aside);
    if (this.flush) await syncDirectory(this.directory);
    return aside;
  }
}
