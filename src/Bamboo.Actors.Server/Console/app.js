// The console's entry point: finds out whether the API wants a key, then routes between the views (routes.js).
import { apiKey, get, onUnauthorized, request, del, errorText, statusLine } from './api.js';
import { h, replace, announce } from './dom.js';
import { sessionsView } from './views/sessions.js';
import { sessionView } from './views/session.js';
import { overviewView } from './views/overview.js';
import { parseRoute } from './routes.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const topActions = document.getElementById('top-actions');
let current = null;       // the view on screen: { dispose() }
let keyRequired = false;
let signedIn = false;

function render() {
  current?.dispose?.();
  current = null;
  if (keyRequired && !signedIn) {
    showKeyForm();
    return;
  }
  const route = parseRoute(location.hash);
  for (const link of nav.querySelectorAll('a[data-nav]')) {
    if (link.dataset.nav === (route.name === 'overview' ? 'overview' : 'sessions')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (route.name === 'session') current = sessionView(main, route.sessionId);
  else if (route.name === 'overview') current = overviewView(main);
  else current = sessionsView(main, route.params);
}

function showKeyForm(message) {
  nav.hidden = true;
  replace(topActions);
  document.title = 'Sign in · Bamboo.Actors console';
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { class: 'notice error', role: 'alert', id: 'key-error', hidden: !message }, message ?? '');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'panel key-form', 'aria-labelledby': 'key-title' },
    h('h1', { id: 'key-title' }, 'API key required'),
    h('p', { class: 'muted' }, 'This server is protected by an API key (Bamboo:ApiKey). Enter it to use the console. ' +
      'It is kept in this tab only and sent as an Authorization header; the event streams use an HttpOnly cookie instead, ' +
      'so the key never appears in a URL.'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
    status,
    h('div', { class: 'row' }, submit));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    submit.disabled = true;
    const key = input.value.trim();
    const answer = await signIn(key);
    submit.disabled = false;
    if (answer.ok) {
      start();
      return;
    }
    status.hidden = false;
    status.textContent = `The server refused the key: ${statusLine(answer)} — ${errorText(answer)}`;
    input.select();
    input.focus();
  });
  main.replaceChildren(form);
  input.focus();
}

/** Sends the key to the sign-in endpoint, which sets the stream cookie; keeps the key when the server takes it. */
async function signIn(key) {
  const answer = await request('POST', 'auth/session', undefined, { key });
  if (answer.ok) {
    apiKey.set(key);
    signedIn = true;
    announce('Signed in');
  }
  return answer;
}

async function signOut() {
  apiKey.clear();
  signedIn = false;
  await del('auth/session');
  current?.dispose?.();
  current = null;
  showKeyForm();
}

function start() {
  nav.hidden = false;
  replace(topActions, keyRequired ? h('button', { type: 'button', onclick: signOut }, 'Sign out') : null);
  render();
  main.focus({ preventScroll: true });
}

async function boot() {
  window.addEventListener('hashchange', () => {
    render();
    main.focus({ preventScroll: true });
  });
  onUnauthorized(answer => {
    if (!keyRequired || !signedIn) return;
    // The key was changed or removed on the server: ask again.
    apiKey.clear();
    signedIn = false;
    current?.dispose?.();
    current = null;
    showKeyForm(`The server no longer accepts the key: ${statusLine(answer)} — ${errorText(answer)}`);
  });
  const state = await get('auth/session');
  if (!state.ok) {
    replace(main, h('p', { class: 'notice error', role: 'alert' }, `The server did not answer: ${statusLine(state)} — ${errorText(state)}`));
    return;
  }
  keyRequired = state.body?.keyRequired === true;
  const stored = apiKey.get();
  if (keyRequired && stored) {
    const answer = await signIn(stored);
    if (!answer.ok) {
      apiKey.clear();
      showKeyForm(`The stored key was refused: ${statusLine(answer)} — ${errorText(answer)}`);
      return;
    }
  }
  if (keyRequired && !signedIn) {
    showKeyForm();
    return;
  }
  start();
}

boot();
