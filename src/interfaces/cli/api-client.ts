// The operator's commands talk to a running manager (`safeflash serve`) over its HTTP API. Failures
// come back as one line: the manager's own message, or why it could not be reached.
import { InvalidArgumentError, Option } from 'commander';
import { CommandFailure, UsageFailure } from './program.ts';

export const defaultServer = 'http://127.0.0.1:8080';

/** --server URL, defaulting to $SAFEFLASH_SERVER, then the manager's default address. */
export function serverOption(): Option {
  return new Option('--server <url>', 'the manager\'s API (also $SAFEFLASH_SERVER)')
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

  constructor(server: string) {
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
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | Blob | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.contentType;
      body = typeof options.raw.data === 'string' ? options.raw.data : new Blob([new Uint8Array(options.raw.data)]);
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    } catch (error) {
      throw new CommandFailure(`cannot reach the manager at ${this.base.origin}: ${reachFailure(error)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CommandFailure(`the manager at ${this.base.origin} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const answer = (parsed ?? {}) as { error?: string; problems?: string[] };
      throw new ApiError(response.status, answer.error ?? `HTTP ${response.status}`, answer.problems ?? []);
    }
    return parsed as T;
  }
}

function reachFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'it did not answer in time';
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is `safeflash serve` running there?)';
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
    const message = error.problems.length > 1 ? `${error.message.split(':')[0]}:\n  ${error.problems.join('\n  ')}` : error.message;
    if (error.status === 400 || error.status === 404) throw new UsageFailure(message);
    throw new CommandFailure(message);
  }
}
