// The sessions list: newest activity first, filtered by status and id prefix, paged with the API's cursor, and
// re-read once a second by the page's poller (GET /sessions is the read model, which may lag by under a second).
import { get, query, statusLine, errorText } from '../api.js';
import { h, replace, badge, timeEl, shortId } from '../dom.js';
import { Poller } from '../poller.js';
import { sessionHref, sessionsHref } from '../routes.js';
import { demoRunForm } from '../actions.js';

const STATUSES = ['running', 'pending', 'completed', 'cancelled', 'error'];
const PAGE_SIZE = 50;
const REFRESH_MS = 1000;

export function sessionsView(main, params) {
  document.title = 'Sessions · Bamboo.Actors console';
  const poller = new Poller();
  const state = {
    status: STATUSES.includes(params.get('status')) ? params.get('status') : '',
    prefix: params.get('prefix') ?? '',
    cursors: [null],        // cursors[i] reads page i; the last one is the page shown
    nextCursor: null,
    rows: new Map(),        // sessionId -> { tr, lastEventAt }
    abort: null,
  };

  const statusSelect = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any status'),
    STATUSES.map(status => h('option', { value: status, selected: status === state.status }, status)));
  const prefixInput = h('input', {
    id: 'filter-prefix', name: 'prefix', type: 'search', value: state.prefix, autocomplete: 'off', spellcheck: 'false',
    placeholder: 'id starts with…',
  });
  const updated = h('p', { class: 'small muted', 'aria-live': 'off', id: 'list-updated' }, 'Loading…');
  const notice = h('div', { role: 'alert' });
  const tbody = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true }, 'No sessions match.');
  const table = h('table', { id: 'sessions-table' },
    h('caption', { class: 'visually-hidden' }, 'Sessions, newest activity first'),
    h('thead', {}, h('tr', {},
      ['Session', 'Status', 'Run', 'Started', 'Ended', 'Last event', 'Rounds', 'Last tool'].map(name => h('th', { scope: 'col' }, name)))),
    tbody);
  const newer = h('button', { type: 'button', disabled: true }, '← Newer');
  const older = h('button', { type: 'button', disabled: true }, 'Older →');
  const pageLabel = h('span', { class: 'small muted' }, 'Page 1');
  const openInput = h('input', { id: 'open-session', name: 'open-session', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });

  replace(main,
    h('div', { class: 'spread' }, h('h1', {}, 'Sessions'), updated),
    notice,
    h('form', { class: 'panel', role: 'search', 'aria-label': 'Filter sessions', onsubmit: event => event.preventDefault() },
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: statusSelect.id }, 'Status'), statusSelect),
        h('div', { class: 'field grow' }, h('label', { for: prefixInput.id }, 'Session id prefix'), prefixInput))),
    h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Sessions', tabindex: '0' }, table, empty),
    h('div', { class: 'pager' }, newer, older, pageLabel),
    h('div', { class: 'grid-2' },
      h('form', { class: 'panel', 'aria-label': 'Open a session', onsubmit: event => {
        event.preventDefault();
        if (openInput.value !== '') location.hash = sessionHref(openInput.value);
      } },
        h('div', { class: 'row' },
          h('div', { class: 'field grow' }, h('label', { for: openInput.id }, 'Open a session by id'), openInput),
          h('button', { type: 'submit' }, 'Open'))),
      h('div', { class: 'panel' }, demoRunForm({
        idPrefix: 'list-run',
        onAnswer: () => poller.soon('list'),
      }))));

  const filtersChanged = () => {
    state.cursors = [null];
    state.rows.clear();
    tbody.replaceChildren();
    history.replaceState(null, '', sessionsHref({ status: state.status, prefix: state.prefix }));
    poller.soon('list');
  };
  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value;
    filtersChanged();
  });
  let typing = null;
  prefixInput.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.prefix = prefixInput.value;
      filtersChanged();
    }, 250);
  });
  older.addEventListener('click', () => {
    if (!state.nextCursor) return;
    state.cursors.push(state.nextCursor);
    state.rows.clear();
    tbody.replaceChildren();
    poller.soon('list');
  });
  newer.addEventListener('click', () => {
    if (state.cursors.length < 2) return;
    state.cursors.pop();
    state.rows.clear();
    tbody.replaceChildren();
    poller.soon('list');
  });

  async function refresh() {
    state.abort = new AbortController();
    const cursor = state.cursors[state.cursors.length - 1];
    const answer = await get(`sessions${query({ status: state.status, prefix: state.prefix, cursor, limit: PAGE_SIZE })}`,
      { signal: state.abort.signal });
    if (!answer.ok) {
      const missing = answer.status === 404 || answer.status === 405;
      replace(notice, h('p', { class: `notice ${missing ? 'warn' : 'error'}` }, missing
        ? 'This server does not list sessions (GET /sessions). Open a session by its id below.'
        : `Could not read the sessions: ${statusLine(answer)} — ${errorText(answer)}`));
      updated.textContent = `Last attempt ${new Date().toLocaleTimeString()}`;
      return;
    }
    notice.replaceChildren();
    // The prefix is also applied here, so the page never shows an id outside the filter, whatever the server did with it.
    const items = (answer.body?.items ?? []).filter(item => !state.prefix || String(item.sessionId).startsWith(state.prefix));
    state.nextCursor = answer.body?.nextCursor ?? null;
    render(items);
    newer.disabled = state.cursors.length < 2;
    older.disabled = !state.nextCursor;
    pageLabel.textContent = `Page ${state.cursors.length}`;
    updated.replaceChildren('Updated ', timeEl(new Date().toISOString()));
  }

  function render(items) {
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const id = String(item.sessionId);
      seen.add(id);
      let row = state.rows.get(id);
      if (!row) {
        row = newRow(id);
        state.rows.set(id, row);
      }
      const key = JSON.stringify(item);
      if (key !== row.key) {
        // Only the cells change: the link keeps its place, and keyboard focus on it survives a refresh.
        row.tr.classList.toggle('fresh', row.key !== undefined && row.lastEventAt !== item.lastEventAt);
        fill(row, item);
        row.key = key;
        row.lastEventAt = item.lastEventAt;
      }
      // Keep rows in the server's order, moving only those out of place (a moved row would lose keyboard focus).
      const expected = previous ? previous.nextSibling : tbody.firstChild;
      if (expected !== row.tr) tbody.insertBefore(row.tr, expected);
      previous = row.tr;
    }
    for (const [id, row] of state.rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        state.rows.delete(id);
      }
    }
    empty.hidden = items.length > 0;
  }

  function newRow(id) {
    const cells = Array.from({ length: 7 }, () => h('td', {}));
    cells[5].className = 'num';
    const tr = h('tr', { dataset: { sessionId: id } }, h('td', { class: 'id' }, h('a', { href: sessionHref(id) }, id)), cells);
    return { tr, cells, key: undefined, lastEventAt: undefined };
  }

  function fill(row, item) {
    const runId = item.runId ?? item.currentRunId ?? item.lastRunId ?? null;
    const [status, run, started, ended, lastEvent, rounds, tool] = row.cells;
    replace(status, badge(item.status));
    replace(run, shortId(runId));
    replace(started, timeEl(item.startedAt));
    replace(ended, timeEl(item.endedAt ?? item.completedAt));
    replace(lastEvent, timeEl(item.lastEventAt));
    rounds.textContent = String(item.roundCount ?? 0);
    tool.textContent = item.lastToolName ?? '';
  }

  poller.add('list', refresh, REFRESH_MS);
  return {
    dispose() {
      poller.stop();
      state.abort?.abort();
      clearTimeout(typing);
    },
  };
}
