// The dashboard's calls to the manager's API. The token is asked for once (when the API first says
// 401) and kept for the browser tab in sessionStorage; every call sends it as a bearer token.
const tokenKey = 'safeflash.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type TokenListener = (needed: boolean) => void;
const tokenListeners = new Set<TokenListener>();

export function token(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
  for (const listener of tokenListeners) listener(!value);
}

/** Called with true when the API asks for a (new) token, false when one was given. */
export function onTokenNeeded(listener: TokenListener): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const current = token();
  if (current) headers.authorization = `Bearer ${current}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.status === 401) {
    for (const listener of tokenListeners) listener(true);
  }
  if (!response.ok) {
    const message = (json as { error?: string } | undefined)?.error ?? `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
};

/** The event stream's address, with the token in the query (EventSource sends no headers). */
export function eventsUrl(): string {
  const current = token();
  return current ? `/api/events?token=${encodeURIComponent(current)}` : '/api/events';
}
