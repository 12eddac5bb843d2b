// Starting and stopping the API's front thread (front-app.ts) from the manager's thread: the front
// listens where clients connect, the manager's API on a private socket beside the manager's files.
// The front's log lines are written by the manager's logger, its answers counted in its metrics.
import { lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ManagerMetrics } from '../../../manager/metrics.ts';
import type { FrontMessage, FrontSetup, ManagerMessage } from './messages.ts';

/** The longest path a Unix socket may have (sun_path, 108 bytes on Linux, with its NUL), with room to spare. */
const socketPathLimit = 100;

/**
 * Where the manager's API listens for its front: a socket in the data directory (the manager owns it,
 * and a socket left by a manager that was killed is replaced), or in a private temporary directory
 * when the data directory's path is too long for a socket's. Returns the path and how to remove it.
 */
export function managerSocketPath(dataDir: string): { path: string; remove: () => void } {
  const inDataDir = join(dataDir, 'api.sock');
  if (Buffer.byteLength(inDataDir) <= socketPathLimit) {
    if (lstatSync(inDataDir, { throwIfNoEntry: false })?.isSocket()) unlinkSync(inDataDir);
    return { path: inDataDir, remove: () => rmSync(inDataDir, { force: true }) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'safeflash-api-'));
  return { path: join(dir, 'api.sock'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The front thread's module, loaded through tsx like the rest of the package (bin/safeflash.js). */
function frontEntry(): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const thread = new URL('./front-thread.ts', import.meta.url).href;
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(thread)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Writes a line the front logged through the manager's logger (its own fields and message kept). */
function relayLine(logger: Logger, line: string): void {
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(line) as Record<string, unknown> & { level: number; msg?: string };
  const method = (levelNames[level] ?? 'info') as 'info';
  logger[method](fields, msg);
}

/**
 * The front's thread. Loaded first, while the manager starts (its modules take a while to load), then
 * started with what it needs once the manager is up; stopped with the manager.
 */
export class ApiFrontThread {
  private readonly worker = new Worker(frontEntry());
  private readonly exited: Promise<number>;
  /** Told of a failure of the thread once start() is called; until then the failure is kept (the thread may fail while it loads). */
  private report: ((error: Error) => void) | undefined;
  private earlyFailure: Error | undefined;
  private stopping: Promise<void> | undefined;

  private constructor() {
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.on('error', (error) => {
      if (this.report) this.report(error);
      else this.earlyFailure ??= error;
    });
  }

  static load(): ApiFrontThread {
    return new ApiFrontThread();
  }

  /** Listens as `setup` says; the port it listens on. Its log lines and answers go to the manager's `logger` and `metrics`. */
  start(setup: FrontSetup, logger: Logger, metrics: Pick<ManagerMetrics, 'httpRequests'>): Promise<number> {
    const frontLogger = logger.child({ thread: 'api-front' });
    return new Promise<number>((resolve, reject) => {
      this.report = (error) => {
        frontLogger.error({ err: error }, 'the API front thread failed');
        reject(error);
      };
      if (this.earlyFailure) this.report(this.earlyFailure);
      void this.exited.then((code) => reject(new Error(`the API front thread ended (exit ${code}) before it listened`)));
      this.worker.on('message', (message: FrontMessage) => {
        switch (message.kind) {
          case 'listening':
            resolve(message.port);
            return;
          case 'failed':
            reject(new Error(message.message));
            return;
          case 'log':
            relayLine(frontLogger, message.line);
            return;
          case 'answered':
            metrics.httpRequests.inc({ method: message.method, route: message.route, status: String(message.status) });
            return;
          case 'stopped':
            void this.worker.terminate();
            return;
        }
      });
      this.worker.postMessage({ kind: 'start', setup } satisfies ManagerMessage);
    });
  }

  /** Stops taking requests, lets those under way end, then ends the thread; at once when it never listened. */
  stop(listening = true): Promise<void> {
    this.stopping ??= (async () => {
      if (listening) this.worker.postMessage({ kind: 'stop' } satisfies ManagerMessage);
      else await this.worker.terminate();
      await this.exited;
    })();
    return this.stopping;
  }
}
