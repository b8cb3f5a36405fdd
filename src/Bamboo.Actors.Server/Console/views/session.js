// One session: snapshot diagnostics (GET /sessions/{id}), run history (GET /sessions/{id}/runs), the live event
// timeline (the SSE stream), and the actions: cancel the active run, start a demo run, delete the session.
import { get, post, del, request, query, sessionPath, apiKey, statusLine, errorText } from '../api.js';
import { h, replace, badge, timeEl, duration, between, preview, shortId } from '../dom.js';
import { Poller } from '../poller.js';
import { EventTimeline } from '../timeline.js';
import { confirmDialog, showAnswer, answerRegion, demoRunForm } from '../actions.js';

const SNAPSHOT_MS = 5000;
const RUNS_MS = 10000;
const RUNS_PAGE = 20;

export function sessionView(main, sessionId) {
  document.title = `Session ${sessionId} · Bamboo.Actors console`;
  const poller = new Poller();
  const state = { snapshot: null, runCursors: [null], nextRunCursor: null, runsMissing: false };

  // Snapshot
  const statusBadge = badge('…');
  const facts = h('dl', { class: 'facts', id: 'snapshot' });
  const snapshotNote = h('div', {});

  // Actions
  const cancelButton = h('button', { type: 'button', class: 'danger', id: 'cancel-run', disabled: true }, 'Cancel active run…');
  const deleteButton = h('button', { type: 'button', id: 'delete-session', disabled: true }, 'Delete session…');
  const cancelAnswer = answerRegion('cancel');
  const deleteAnswer = answerRegion('delete');

  // Runs
  const runsBody = h('tbody', {});
  const runsEmpty = h('p', { class: 'empty', hidden: true }, 'No runs recorded yet.');
  const runsNote = h('div', {});
  const newerRuns = h('button', { type: 'button', disabled: true }, '← Newer runs');
  const olderRuns = h('button', { type: 'button', disabled: true }, 'Older runs →');

  const timeline = new EventTimeline(sessionId, {
    onEvent: type => {
      if (type !== 'token_delta') poller.soon('snapshot');
      if (type === 'execution_started' || type === 'execution_finished' || type === 'run_queued') poller.soon('runs');
    },
    // The stream cookie may have expired (the browser then gives up on the stream): renew it with the key.
    beforeReopen: () => (apiKey.get() ? post('auth/session') : null),
  });

  replace(main,
    h('p', {}, h('a', { href: '#/' }, '← Sessions')),
    h('div', { class: 'spread' },
      h('h1', {}, 'Session ', h('code', { id: 'session-id' }, sessionId)),
      statusBadge),
    h('div', { class: 'grid-2' },
      h('section', { class: 'panel', 'aria-labelledby': 'snapshot-title' },
        h('h2', { id: 'snapshot-title' }, 'Diagnostics'), snapshotNote, facts),
      h('section', { class: 'panel', 'aria-labelledby': 'actions-title' },
        h('h2', { id: 'actions-title' }, 'Actions'),
        h('div', { class: 'row' }, cancelButton, deleteButton),
        cancelAnswer,
        deleteAnswer,
        h('div', { class: 'answer-spacer' }),
        demoRunForm({
          sessionId,
          idPrefix: 'session-run',
          onAnswer: () => {
            poller.soon('snapshot');
            poller.soon('runs');
          },
        }))),
    timeline.element,
    h('section', { class: 'panel', 'aria-labelledby': 'runs-title' },
      h('h2', { id: 'runs-title' }, 'Run history'),
      runsNote,
      h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Run history', tabindex: '0' },
        h('table', { id: 'runs-table' },
          h('caption', { class: 'visually-hidden' }, 'Runs of this session, newest first'),
          h('thead', {}, h('tr', {},
            ['Run', 'Status', 'Agent', 'Started', 'Duration', 'Queue wait', 'Rounds', 'Error', 'Input', 'Output', 'Record']
              .map(name => h('th', { scope: 'col' }, name)))),
          runsBody),
        runsEmpty),
      h('div', { class: 'pager' }, newerRuns, olderRuns)));

  cancelButton.addEventListener('click', async () => {
    const runId = state.snapshot?.runId ?? null;
    const path = sessionPath(sessionId, '/cancel');
    const values = await confirmDialog({
      title: 'Cancel the active run',
      message: `Ask run ${runId} of session "${sessionId}" to stop? It ends as cancelled when its executor stops.`,
      confirmLabel: 'Cancel run',
      danger: true,
      fields: [{ name: 'reason', label: 'Reason', value: 'cancelled from the console' }],
      describe: ({ reason }) => `POST /${path}\n${JSON.stringify({ runId, reason }, null, 2)}`,
    });
    if (!values) return;
    cancelButton.disabled = true;
    const answer = await request('POST', path, { runId, reason: values.reason });
    showAnswer(cancelAnswer, answer, 'Cancel');
    poller.soon('snapshot');
  });

  deleteButton.addEventListener('click', async () => {
    const path = sessionPath(sessionId);
    const confirmed = await confirmDialog({
      title: 'Delete the session',
      message: `Delete session "${sessionId}" with its run records and events? The API refuses while a run is active.`,
      confirmLabel: 'Delete session',
      danger: true,
      describe: () => `DELETE /${path}`,
    });
    if (!confirmed) return;
    const answer = await del(path);
    showAnswer(deleteAnswer, answer, 'Delete');
    poller.soon('snapshot');
    poller.soon('runs');
  });

  olderRuns.addEventListener('click', () => {
    if (!state.nextRunCursor) return;
    state.runCursors.push(state.nextRunCursor);
    poller.soon('runs');
  });
  newerRuns.addEventListener('click', () => {
    if (state.runCursors.length < 2) return;
    state.runCursors.pop();
    poller.soon('runs');
  });

  async function readSnapshot() {
    const answer = await get(sessionPath(sessionId));
    if (answer.status === 404 && answer.body?.error === 'unknown_session') {
      state.snapshot = null;
      replace(snapshotNote, h('p', { class: 'muted' }, 'No runs yet: the server knows nothing of this session.'));
      facts.replaceChildren();
      setStatus(null);
      return;
    }
    if (!answer.ok) {
      replace(snapshotNote, h('p', { class: 'notice error' }, `Could not read the session: ${statusLine(answer)} — ${errorText(answer)}`));
      return;
    }
    state.snapshot = answer.body;
    snapshotNote.replaceChildren();
    renderSnapshot(answer.body);
    setStatus(answer.body);
  }

  function setStatus(snapshot) {
    const status = snapshot?.status ?? 'pending';
    statusBadge.dataset.status = status;
    statusBadge.textContent = snapshot?.cancelRequested && status === 'running' ? 'running (cancel requested)' : status;
    statusBadge.id = 'session-status';
    cancelButton.disabled = status !== 'running';
    deleteButton.disabled = snapshot === null || status === 'running' || (snapshot.queueLength ?? 0) > 0;
  }

  function renderSnapshot(s) {
    const rows = [
      ['Status', badge(s.status)],
      ['Run', s.runId ? h('code', {}, s.runId) : '—'],
      ['Started', timeEl(s.startedAt)],
      ['Ended', timeEl(s.completedAt ?? s.endedAt)],
      ['Duration', s.startedAt ? duration(between(s.startedAt, s.completedAt ?? s.endedAt)) : '—'],
      ['Error', s.error ?? '—'],
      ['Last event', timeEl(s.lastEventAt)],
      ['Rounds', String(s.roundCount ?? 0)],
      ['Last tool', s.lastToolName ? `${s.lastToolName}${s.lastToolPhase ? ` (${s.lastToolPhase})` : ''}` : '—'],
      ['Cancel requested', s.cancelRequested ? 'yes' : 'no'],
      ['Queued runs', String(s.queueLength ?? 0)],
      ['Subscribers', String(s.subscriberCount ?? 0)],
      ['Last sequence', String(s.lastSequence ?? 0)],
      ['Deadline', timeEl(s.deadlineAt)],
    ];
    replace(facts, rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]));
  }

  async function readRuns() {
    const cursor = state.runCursors[state.runCursors.length - 1];
    const answer = await get(`${sessionPath(sessionId, '/runs')}${query({ cursor, limit: RUNS_PAGE })}`);
    if (answer.status === 404 && answer.body?.error === 'unknown_session') {
      runsNote.replaceChildren();
      renderRuns([]);
      return;
    }
    if (!answer.ok) {
      const missing = answer.status === 404 || answer.status === 405;
      replace(runsNote, h('p', { class: `notice ${missing ? 'warn' : 'error'}` }, missing
        ? 'This server keeps no run history (GET /sessions/{id}/runs); the timeline above still shows the retained events.'
        : `Could not read the runs: ${statusLine(answer)} — ${errorText(answer)}`));
      if (missing) poller.remove('runs');
      return;
    }
    runsNote.replaceChildren();
    state.nextRunCursor = answer.body?.nextCursor ?? null;
    renderRuns(answer.body?.items ?? []);
    newerRuns.disabled = state.runCursors.length < 2;
    olderRuns.disabled = !state.nextRunCursor;
  }

  function renderRuns(runs) {
    runsEmpty.hidden = runs.length > 0;
    replace(runsBody, runs.map(run => {
      const ended = run.endedAt ?? run.completedAt;
      const wait = run.queueWaitMs ?? run.queueWait ?? (run.createdAt && run.startedAt ? between(run.createdAt, run.startedAt) : null);
      const record = h('details', {},
        h('summary', {}, 'JSON'),
        h('pre', { class: 'small' }, JSON.stringify(run, null, 2)));
      return h('tr', { dataset: { runId: run.runId } },
        h('td', {}, shortId(run.runId)),
        h('td', {}, badge(run.status), run.cancelRequested || run.cancelReason
          ? h('div', { class: 'small muted' }, `cancel: ${[run.cancelRequestedBy ?? run.cancelledBy, run.cancelReason].filter(Boolean).join(', ') || 'requested'}`)
          : null),
        h('td', {}, run.agent ?? run.worker ?? '—'),
        h('td', {}, timeEl(run.startedAt ?? run.createdAt)),
        h('td', { class: 'num' }, run.startedAt ? duration(between(run.startedAt, ended)) + (ended ? '' : ' …') : '—'),
        h('td', { class: 'num' }, wait === null ? '—' : duration(Number(wait))),
        h('td', { class: 'num' }, String(run.roundCount ?? 0)),
        h('td', { class: 'preview', title: run.error ?? '' }, run.error ?? ''),
        h('td', { class: 'preview', title: textOf(run.input) }, preview(run.input, 40)),
        h('td', { class: 'preview', title: textOf(run.output) }, preview(run.output, 40)),
        h('td', {}, record));
    }));
  }

  // The stream first: its subscription makes the session known, so the snapshot read once it is open answers 200
  // rather than 404 for a session that has no run yet.
  let reading = false;
  const startReading = () => {
    if (reading) return;
    reading = true;
    clearTimeout(fallback);
    poller.add('snapshot', readSnapshot, SNAPSHOT_MS);
    poller.add('runs', readRuns, RUNS_MS);
  };
  const fallback = setTimeout(startReading, 3000);
  timeline.start(startReading);
  return {
    dispose() {
      clearTimeout(fallback);
      poller.stop();
      timeline.dispose();
    },
  };
}

function textOf(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
