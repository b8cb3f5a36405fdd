// The console's routes live in the URL's fragment, so the server serves one page at `/` and every API path stays
// the API's:
//   #/                       sessions (?status=…&prefix=…)
//   #/sessions/<id>          one session (the id percent-encoded, as in the API)
//   #/overview               runs per minute, cluster members

/** Parses the fragment into a route. */
export function parseRoute(hash) {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const queryAt = text.indexOf('?');
  const path = queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : text.slice(queryAt + 1));
  const parts = path.split('/').filter(part => part !== '');
  if (parts[0] === 'sessions' && parts.length === 2) {
    try {
      return { name: 'session', sessionId: decodeURIComponent(parts[1]), params };
    } catch {
      return { name: 'sessions', params };
    }
  }
  if (parts[0] === 'overview') return { name: 'overview', params };
  return { name: 'sessions', params };
}

/** The fragment of a session's page. */
export function sessionHref(sessionId) {
  return `#/sessions/${encodeURIComponent(sessionId)}`;
}

/** The fragment of the sessions list with its filters. */
export function sessionsHref({ status, prefix } = {}) {
  const search = new URLSearchParams();
  if (status) search.set('status', status);
  if (prefix) search.set('prefix', prefix);
  const text = search.toString();
  return text ? `#/?${text}` : '#/';
}
