// The admin UI's one door to the server (see the contract in src/admin/): every
// endpoint URL is relative to the page, so the UI works under any handler_prefix;
// the session token lives in localStorage under 'token' (as in Centrifugo's UI)
// and goes out as `Authorization: token <t>`; a 401 from any call forgets it and
// sends the user back to the login form.

/** An HTTP or API failure, with the message to show as is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface InitReply {
  authenticated: boolean;
  edition: string;
  insecure: boolean;
}

/** What POST admin/api answers for one command: a result or an error. */
export interface MethodReply {
  result?: unknown;
  error?: { code: number; message: string };
}

/** The folder the page was loaded from, with its trailing slash: endpoints hang off it. */
export function basePath(pathname: string): string {
  return pathname.slice(0, pathname.lastIndexOf('/') + 1) || '/';
}

const base = basePath(window.location.pathname);
let insecure = false;
let unauthorized: () => void = () => {};

export function getToken(): string | null {
  try {
    return window.localStorage.getItem('token');
  } catch {
    return null;
  }
}

function setToken(token: string | null): void {
  try {
    if (token === null) window.localStorage.removeItem('token');
    else window.localStorage.setItem('token', token);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
}

/** Called once by the app shell: what to do when the server says 401. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** Forget the token (there is no server-side logout, as in Centrifugo). */
export function logout(): void {
  setToken(null);
}

function headers(extra?: Record<string, string>): Headers {
  const h = new Headers(extra);
  const token = getToken();
  if (!insecure && token) h.set('Authorization', `token ${token}`);
  return h;
}

async function send(path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(base + path, { cache: 'no-store', ...init, headers: headers(init.headers) });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, `Cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
  }
  if (res.status === 401) {
    await res.text().catch(() => '');
    setToken(null);
    unauthorized();
    throw new ApiError(401, 'Unauthorized');
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** The error a failed response carries: {"error":{code,message}} when there is one, else its status. */
async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: number; message?: string } };
    if (body.error?.message) return new ApiError(res.status, body.error.message, body.error.code);
  } catch {
    // Not JSON: fall through to the status.
  }
  if (res.status === 403) return new ApiError(403, 'Permission denied');
  if (res.status === 404) return new ApiError(404, 'Not available on this server (404)');
  const detail = text.trim().slice(0, 200);
  return new ApiError(res.status, `${res.status} ${res.statusText || 'error'}${detail ? `: ${detail}` : ''}`);
}

async function json<T>(res: Response): Promise<T> {
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, 'The server sent a reply that is not JSON');
  }
}

export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  return json<T>(await send(path, { method: 'GET', signal: signal ?? null }));
}

export async function postJSON<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, signal: signal ?? null });
  return json<T>(res);
}

/**
 * GET admin/init. It carries the stored token, if any, so that `authenticated`
 * says whether that token is still good (as Centrifugo's init does); a 401 here
 * is not a logout, init never needs auth.
 */
export async function init(): Promise<InitReply> {
  let res: Response;
  try {
    res = await fetch(base + 'admin/init', { cache: 'no-store', headers: headers() });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!res.ok) throw await errorOf(res);
  const reply = await json<InitReply>(res);
  insecure = reply.insecure;
  return reply;
}

/** POST admin/auth; stores the token. Wrong password and rate limiting come back as ApiError. */
export async function login(password: string): Promise<void> {
  const form = new FormData();
  form.set('password', password);
  let res: Response;
  try {
    res = await fetch(base + 'admin/auth', { method: 'POST', body: form, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
  }
  if (res.status === 429 || res.status === 400) await res.text().catch(() => '');
  if (res.status === 429) {
    const wait = Number(res.headers.get('Retry-After'));
    throw new ApiError(429, Number.isFinite(wait) && wait > 0 ? `Too many attempts, retry in ${Math.ceil(wait)} s` : 'Too many attempts, retry later');
  }
  if (res.status === 400) throw new ApiError(400, 'Wrong password (or the admin password is not configured)');
  if (!res.ok) throw await errorOf(res);
  const { token } = await json<{ token?: string }>(res);
  if (!token) throw new ApiError(res.status, 'The server sent no token');
  setToken(token);
}

/** One server API command through admin/api; an API-level error is in the reply, not thrown. */
export async function callMethod(method: string, params: Record<string, unknown>): Promise<MethodReply> {
  const res = await send('admin/api', { method: 'POST', body: JSON.stringify({ method, params }), headers: { 'Content-Type': 'application/json' } });
  const text = await res.text();
  // One command in, one reply out; take the first line should the server join several.
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  try {
    return JSON.parse(line) as MethodReply;
  } catch {
    throw new ApiError(res.status, 'The server sent a reply that is not JSON');
  }
}

/** A method's result, or an ApiError with the reply's error (for pages that only need the result). */
export async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  const reply = await callMethod(method, params);
  if (reply.error) throw new ApiError(200, `${reply.error.message} (code ${reply.error.code})`, reply.error.code);
  return reply.result as T;
}

/**
 * POST a JSON body and read the answer as NDJSON, calling onLine for each parsed
 * line until the server ends the stream or the signal aborts it (then it returns
 * quietly). Lines that are not JSON are skipped.
 */
export async function streamNDJSON(path: string, body: unknown, signal: AbortSignal, onLine: (line: unknown) => void): Promise<void> {
  let res: Response;
  try {
    res = await send(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, signal });
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  if (!res.body) throw new ApiError(res.status, 'The server sent no stream');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        onLine(parsed);
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw new ApiError(0, `The stream broke off (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    reader.releaseLock();
  }
}
