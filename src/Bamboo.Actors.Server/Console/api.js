// The console's only way to the server: the public HTTP API, at paths relative to the page.

const KEY_STORAGE = 'bamboo.console.apiKey';
const unauthorizedListeners = new Set();

/** The API key, kept in this tab's session storage (gone when the tab closes), or null. */
export const apiKey = {
  get() {
    try { return sessionStorage.getItem(KEY_STORAGE); } catch { return null; }
  },
  set(key) {
    try { sessionStorage.setItem(KEY_STORAGE, key); } catch { /* storage disabled: the key lives as long as the page */ }
    memoryKey = key;
  },
  clear() {
    try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* nothing stored */ }
    memoryKey = null;
  },
};
let memoryKey = null;
function currentKey() { return apiKey.get() ?? memoryKey; }

/** Called with the answer whenever the API says 401 (the key is missing, wrong or was changed). */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** A session's API path: the id is one percent-encoded path segment (`a/b` is `a%2Fb`), as the API wants it. */
export function sessionPath(sessionId, rest = '') {
  return `sessions/${encodeURIComponent(sessionId)}${rest}`;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Sends a request and always resolves (never throws, except when aborted) with
 * { ok, status, statusText, body (parsed JSON or null), text, method, path }. A network failure is status 0.
 */
export async function request(method, path, body, { signal, key } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const bearer = key ?? currentKey();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    return { ok: false, status: 0, statusText: 'network error', body: null, text: String(error?.message ?? error), method, path };
  }
  let text = '';
  try { text = await response.text(); } catch (error) {
    if (error?.name === 'AbortError') throw error;
  }
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  const result = { ok: response.ok, status: response.status, statusText: response.statusText, body: json, text, method, path };
  if (response.status === 401 && key === undefined) for (const listener of unauthorizedListeners) listener(result);
  return result;
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body, options);
export const del = (path, options) => request('DELETE', path, undefined, options);

/** "409 Conflict" or "network error". */
export function statusLine(answer) {
  if (answer.status === 0) return 'network error (no answer)';
  return `${answer.status} ${answer.statusText || ''}`.trim();
}

/** The API's error code and detail, for messages: "already_running: the session already has an active run". */
export function errorText(answer) {
  if (answer.body && typeof answer.body === 'object' && answer.body.error) {
    return answer.body.detail ? `${answer.body.error}: ${answer.body.detail}` : String(answer.body.error);
  }
  return answer.status === 0 ? answer.text : statusLine(answer);
}
