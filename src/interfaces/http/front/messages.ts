// What the manager's thread and the API's front thread tell each other (front-thread.ts, api-front.ts).
import type { Endpoint } from '../../../protocol/endpoint.ts';
import type { FailedTokenLimits } from '../auth-limit.ts';

/** What the front needs to start, once the manager is up. */
export interface FrontSetup {
  /** Where clients connect: the API's address and port (0 picks a free one). */
  listen: Endpoint;
  https?: { cert: Buffer; key: Buffer };
  /** The manager's own API, on a private socket (a file only this user may open). */
  managerSocket: string;
  /** The manager's database: the front reads tokens and campaigns on connections of its own. */
  databaseUrl: string;
  failedTokens?: Partial<FailedTokenLimits>;
  /** The manager logger's level: the front logs at the same. */
  logLevel: string;
}

export type FrontMessage =
  | { kind: 'listening'; port: number }
  | { kind: 'failed'; message: string }
  /** One log line (pino's JSON), for the manager's logger to write. */
  | { kind: 'log'; line: string }
  /** A request the front answered itself, for the manager's request counter. */
  | { kind: 'answered'; method: string; route: string; status: number }
  | { kind: 'stopped' };

export type ManagerMessage = { kind: 'start'; setup: FrontSetup } | { kind: 'stop' };
