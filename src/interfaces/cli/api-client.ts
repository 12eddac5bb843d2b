// The operator's commands talk to a running manager (`safeflash serve`) over its HTTP API, with an API
// token. Failures come back as one line: the manager's own message, or why it could not be reached.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { managerDefaults } from '../../manager/manager-defaults.ts';
import { operatorTokenFile } from '../../manager/startup/operator-token.ts';
import { CommandFailure, UsageFailure } from './program.ts';
import { httpsRequest } from './https-request.ts';

export const defaultServer = 'http://127.0.0.1:8080';

/** --server URL, defaulting to $SAFEFLASH_SERVER, then the manager's default address. */
export function serverOption(): Option {
  return new Option('--server <url>', "the manager's API (also $SAFEFLASH_SERVER)")
    .default(process.env.SAFEFLASH_SERVER || defaultServer)
    .argParser((value: string) => {
      checkServerUrl(value);
      return value;
    });
}

function checkServerUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected a URL such as ${defaultServer}, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${value}"`);
  return url;
}

/** How a command was told which token to use (see addAccessOptions). */
interface AccessOptions {
  token?: string;
  /** A manager data directory named on the command line, whose operator.token is the token. */
  dataDir?: string;
  /** A PEM file of the certificate authority (or the certificate) of a manager served over HTTPS. */
  ca?: string;
}

/** Set once per process by the preAction hook of the command that runs; see addAccessOptions. */
let commandLineAccess: AccessOptions = {};

/**
 * Gives every command that talks to the manager (every command with --server) the options that name
 * its token: --token (also $SAFEFLASH_TOKEN) and --data-dir (the manager's data directory, whose
 * operator.token file is used when no token is given). Called once on the whole program, after every
 * command is registered, so that no command has to repeat them.
 */
export function addAccessOptions(command: Command): void {
  const talksToManager = command.options.some((o) => o.long === '--server');
  if (talksToManager && !command.options.some((o) => o.long === '--token')) {
    command
      .addOption(new Option('--token <token>', "API token (also $SAFEFLASH_TOKEN; default: the operator token file of the manager's data directory)"))
      .addOption(
        new Option('--data-dir <dir>', "the manager's data directory, whose operator.token is used when no token is given").default(managerDefaults.dataDir),
      )
      .addOption(new Option('--ca <file>', "trust this CA or certificate (PEM) for an https:// manager, besides the system's (also $SAFEFLASH_CA)"))
      .hook('preAction', (_command, action) => {
        const options = action.opts<{ token?: string; dataDir?: string; ca?: string }>();
        commandLineAccess = {
          ...(options.token ? { token: options.token } : {}),
          ...(options.ca ? { ca: options.ca } : {}),
          ...(action.getOptionValueSource('dataDir') === 'cli' && options.dataDir ? { dataDir: options.dataDir } : {}),
        };
      });
  }
  for (const sub of command.commands) addAccessOptions(sub);
}

/** --token, then --data-dir's token file, then $SAFEFLASH_TOKEN, then the default data directory's file. */
export function resolveToken(access: AccessOptions = commandLineAccess, env: NodeJS.ProcessEnv = process.env): string {
  if (access.token) return access.token;
  if (!access.dataDir && env.SAFEFLASH_TOKEN) return env.SAFEFLASH_TOKEN;
  const file = operatorTokenFile(access.dataDir ?? managerDefaults.dataDir);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CommandFailure(`cannot read the API token from ${file}: ${(error as Error).message}`);
  }
  throw new CommandFailure(
    `no API token: give --token TOKEN or set SAFEFLASH_TOKEN, or --data-dir DIR of the manager (it writes DIR/operator.token on first start; ${file} does not exist)`,
  );
}

/** --ca, then $SAFEFLASH_CA: the certificates trusted for an https:// manager besides the system's. */
export function resolveCa(access: AccessOptions = commandLineAccess, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const file = access.ca ?? (env.SAFEFLASH_CA || undefined);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageFailure(`cannot read the CA file ${file} (--ca or SAFEFLASH_CA): ${(error as Error).message}`, { cause: error });
  }
}

/** The manager did not answer (refused, cut off, timed out): a command that follows runs may try again. */
export class ManagerUnreachable extends CommandFailure {
  override name = 'ManagerUnreachable';
  constructor(
    readonly origin: string,
    readonly reason: string,
    options: ErrorOptions,
  ) {
    super(`cannot reach the manager at ${origin}: ${reason}`, options);
  }
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

interface RequestOptions {
  body?: unknown;
  /** Raw bytes or text with their media type, instead of JSON. */
  raw?: { data: Buffer | string; contentType: string };
  timeoutMs?: number;
}

export class ApiClient {
  readonly base: URL;
  #token: string | undefined;

  /** Without a token, the one the command line names (resolveToken), read when the first request is made. */
  constructor(server: string, token?: string) {
    this.#token = token;
    try {
      this.base = checkServerUrl(server);
    } catch (error) {
      throw new UsageFailure((error as Error).message);
    }
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, options);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(path, this.base);
    this.#token ??= resolveToken();
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.#token}` };
    let body: string | Buffer | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    let response: { status: number; ok: boolean };
    let text: string;
    try {
      if (url.protocol === 'https:') {
        const ca = resolveCa();
        const answer = await httpsRequest(url, { method, headers, ...(body !== undefined ? { body } : {}), timeoutMs, ...(ca ? { ca } : {}) });
        response = answer;
        text = answer.text;
      } else {
        const sent = typeof body === 'string' || body === undefined ? body : new Blob([new Uint8Array(body)]);
        const answer = await fetch(url, { method, headers, ...(sent !== undefined ? { body: sent } : {}), signal: AbortSignal.timeout(timeoutMs) });
        response = answer;
        // A manager that stops while it answers cuts the body: as unreachable as one that never answered.
        text = await answer.text();
      }
    } catch (error) {
      if (error instanceof UsageFailure) throw error;
      throw new ManagerUnreachable(this.base.origin, reachFailure(error), { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CommandFailure(`the manager at ${this.base.origin} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const answer = (parsed ?? {}) as { error?: string; problems?: string[] };
      const message = answer.error ?? `HTTP ${response.status}`;
      throw new ApiError(
        response.status,
        response.status === 401 ? `${message}; give another with --token, SAFEFLASH_TOKEN or --data-dir` : message,
        answer.problems ?? [],
      );
    }
    return parsed as T;
  }
}

/** TLS errors of a certificate the client does not trust (node:tls's codes). */
const untrustedCertificate = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function reachFailure(error: unknown): string {
  // fetch wraps the socket's error in its cause; node:https gives it as it is.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause ?? (error as { code?: string; message?: string });
  if ((error as Error).name === 'TimeoutError') return 'it did not answer in time';
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is `safeflash serve` running there?)';
  if (cause?.code !== undefined && untrustedCertificate.has(cause.code)) {
    return `its certificate is not trusted (${cause.message}): give its CA or certificate with --ca FILE or SAFEFLASH_CA`;
  }
  return cause?.message ?? (error as Error).message;
}

/**
 * Runs a command against the manager: the manager refusing the input (400, 404) exits 2, refusing
 * the work (409, 422) or failing exits 1, each with its message.
 */
export async function withManager<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw managerFailure(error);
  }
}

/** The manager's refusal as the command's failure: exit 2 for the input (400, 404), 1 for the work. */
export function managerFailure(error: ApiError): UsageFailure | CommandFailure {
  const message = error.problems.length > 1 ? `${error.message.split(':')[0]}:\n  ${error.problems.join('\n  ')}` : error.message;
  return error.status === 400 || error.status === 404 ? new UsageFailure(message, { cause: error }) : new CommandFailure(message, { cause: error });
}
