// The one way the web app talks to Retain: the public JSON API under /api/v1, with the session
// cookie and its CSRF token. Errors arrive as ApiError with the API's stable code.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
const sessionEndedListeners = new Set<() => void>();

/** The CSRF token of the current session, sent with every write. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, logged out elsewhere). */
export function onSessionEnded(listener: () => void): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** The revision (ETag) the change is made on: refused with 412 PRECONDITION_FAILED when stale. */
  ifMatch?: string;
}

/** A document with the revision it was read at (its ETag). */
export interface Revised<T> {
  value: T;
  revision: string;
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await request<T>(path, options)).value;
}

/** `api` for a configuration document: answers it with its revision, to send back on a change. */
export async function apiRevised<T>(path: string, options: RequestOptions = {}): Promise<Revised<T>> {
  const { value, etag } = await request<T>(path, options);
  if (etag === null) throw new ApiError(0, 'NO_REVISION', `The answer to ${path} carries no revision.`);
  return { value, revision: etag };
}

async function request<T>(path: string, options: RequestOptions): Promise<{ value: T; etag: string | null }> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'Retain could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return { value: undefined as T, etag: null };
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data as ErrorBody | null)?.error;
    const code = error?.code ?? 'HTTP_' + String(response.status);
    if (response.status === 401 && !path.startsWith('/auth/login'))
      for (const listener of sessionEndedListeners) listener();
    throw new ApiError(response.status, code, error?.message ?? response.statusText, error?.details);
  }
  return { value: data as T, etag: response.headers.get('etag') };
}

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Sends a file as the request body (a CSV import), reporting upload progress from 0 to 1; answers
 * like `api`. XMLHttpRequest, because fetch does not report upload progress.
 */
export function upload<T>(path: string, file: Blob, onProgress: (share: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1${path}`);
    request.setRequestHeader('content-type', 'text/csv');
    request.setRequestHeader('accept', 'application/json');
    if (csrfToken) request.setRequestHeader('x-csrf-token', csrfToken);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () =>
      reject(new ApiError(0, 'NETWORK', 'Retain could not be reached. Check your connection and try again.'));
    request.onload = () => {
      let data: unknown = null;
      try {
        data = JSON.parse(request.responseText) as unknown;
      } catch {
        // not JSON: reported below by status
      }
      if (request.status >= 200 && request.status < 300) return resolve(data as T);
      const error = (data as ErrorBody | null)?.error;
      if (request.status === 401) for (const listener of sessionEndedListeners) listener();
      reject(
        new ApiError(
          request.status,
          error?.code ?? `HTTP_${request.status}`,
          error?.message ?? request.statusText,
          error?.details,
        ),
      );
    };
    request.send(file);
  });
}
