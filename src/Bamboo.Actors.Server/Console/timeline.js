// A session's live event timeline over its Server-Sent Events stream (GET /sessions/{id}/events).
// - Opens with ?after=0: every event the server still retains, then live events. A reconnecting EventSource sends
//   Last-Event-ID itself (the server prefers it to ?after=), so a dropped connection resumes without gap or repeat;
//   if the browser gives up, the stream is reopened with ?after=<last sequence seen>.
// - replay_gap (events the server no longer retains) is shown as such, never hidden.
// - Events are grouped by run: token deltas become the text they build, tool calls become spans on a time axis, the
//   other events are listed with their sequence and time.
import { sessionPath } from './api.js';
import { h, svg, replace, badge, timeEl, duration } from './dom.js';

const EVENT_TYPES = [
  'execution_started', 'run_queued', 'run_cancelling', 'execution_finished', 'token_delta', 'tool_started',
  'tool_lifecycle', 'runner_progress', 'token_budget', 'replay_gap',
];
const MAX_LANES = 24;

export class EventTimeline {
  #sessionId;
  #onEvent;
  #beforeReopen;
  #source = null;
  #opened = false;
  #reopenTimer = null;
  #reopenDelay = 1000;
  #tick = null;
  #disposed = false;
  #runs = new Map();
  #lastSequence = 0;
  #reconnects = 0;
  #duplicates = 0;
  #count = 0;
  #onFirstOpen = null;

  constructor(sessionId, { onEvent, beforeReopen } = {}) {
    this.#sessionId = sessionId;
    this.#onEvent = onEvent;
    this.#beforeReopen = beforeReopen;
    this.status = h('span', { class: 'stream-status', 'data-state': 'connecting', id: 'stream-status' }, 'Connecting…');
    this.stats = h('span', { class: 'small muted', id: 'stream-stats' });
    this.list = h('div', { class: 'timeline', id: 'timeline', 'aria-label': 'Event timeline' });
    this.empty = h('p', { class: 'muted' }, 'No events yet. Start a run to see its events here as they happen.');
    this.element = h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' },
      h('div', { class: 'spread' }, h('h2', { id: 'timeline-title' }, 'Live events'), h('div', { role: 'status' }, this.status, ' ', this.stats)),
      this.empty,
      this.list);
    this.onOnline = () => {
      if (this.#source === null || this.#source.readyState !== EventSource.OPEN) this.#reopen(0);
    };
  }

  /** Opens the stream; `onFirstOpen` is called once, when the server has accepted it. */
  start(onFirstOpen) {
    this.#onFirstOpen = onFirstOpen;
    window.addEventListener('online', this.onOnline);
    this.#open(0);
    // Open runs' spans grow with the clock.
    this.#tick = setInterval(() => {
      for (const run of this.#runs.values()) if (!run.ended) run.drawSpans();
    }, 1000);
  }

  dispose() {
    this.#disposed = true;
    window.removeEventListener('online', this.onOnline);
    clearInterval(this.#tick);
    clearTimeout(this.#reopenTimer);
    this.#source?.close();
    this.#source = null;
  }

  #open(after) {
    const source = new EventSource(`${sessionPath(this.#sessionId, '/events')}?after=${after}`);
    this.#source = source;
    this.#setState('connecting', this.#opened ? 'Reconnecting…' : 'Connecting…');
    source.onopen = () => {
      if (this.#opened) this.#reconnects++;
      else this.#onFirstOpen?.();
      this.#opened = true;
      this.#reopenDelay = 1000;
      this.#setState('live', 'Live');
    };
    source.onerror = () => {
      if (this.#disposed || source !== this.#source) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself, sending Last-Event-ID.
        this.#setState('reconnecting', 'Connection lost, reconnecting…');
        return;
      }
      // The browser gave up (the server refused the stream, or the network is gone): reopen from the last sequence.
      this.#setState('closed', 'Disconnected, retrying…');
      this.#reopen(this.#reopenDelay);
      this.#reopenDelay = Math.min(this.#reopenDelay * 2, 15000);
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, message => this.#receive(type, message));
    }
  }

  #reopen(delay) {
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = setTimeout(async () => {
      if (this.#disposed) return;
      this.#source?.close();
      this.#source = null;
      try { await this.#beforeReopen?.(); } catch { /* the stream's own answer will say */ }
      if (!this.#disposed) this.#open(this.#lastSequence);
    }, delay);
  }

  #setState(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
    this.#updateStats();
  }

  #updateStats() {
    const parts = [`${this.#count} event${this.#count === 1 ? '' : 's'}`];
    if (this.#lastSequence > 0) parts.push(`last #${this.#lastSequence}`);
    if (this.#reconnects > 0) parts.push(`${this.#reconnects} reconnect${this.#reconnects === 1 ? '' : 's'}`);
    if (this.#duplicates > 0) parts.push(`${this.#duplicates} repeated event${this.#duplicates === 1 ? '' : 's'} ignored`);
    this.stats.textContent = `· ${parts.join(' · ')}`;
    this.list.dataset.lastSequence = String(this.#lastSequence);
    this.list.dataset.reconnects = String(this.#reconnects);
    this.list.dataset.duplicates = String(this.#duplicates);
  }

  #receive(type, message) {
    let data;
    try { data = JSON.parse(message.data); } catch { return; }
    this.empty.hidden = true;
    if (type === 'replay_gap') {
      this.list.append(h('p', { class: 'gap-notice', role: 'note', 'data-gap': `${data.fromSequence}-${data.toSequence}` },
        `Replay gap: events #${data.fromSequence}–#${data.toSequence} are no longer retained by the server, so they are not shown.`));
      this.#updateStats();
      return;
    }
    const sequence = Number(data.sequence ?? message.lastEventId);
    if (sequence <= this.#lastSequence) {
      // Never expected (the server resumes after Last-Event-ID); counted and shown rather than drawn twice.
      this.#duplicates++;
      this.#updateStats();
      return;
    }
    this.#lastSequence = sequence;
    this.#count++;
    let run = this.#runs.get(data.runId);
    if (!run) {
      run = new RunGroup(data.runId);
      this.#runs.set(data.runId, run);
      this.list.append(run.element);
    }
    run.add(type, data);
    this.#updateStats();
    this.#onEvent?.(type, data);
  }
}

/** One run's part of the timeline. */
class RunGroup {
  constructor(runId) {
    this.runId = runId;
    this.ended = false;
    this.firstAt = null;
    this.startedAt = null;
    this.endedAt = null;
    this.textSpan = null;       // { start, end } of token deltas
    this.tools = [];            // { name, start, end, phase }
    this.deltas = 0;
    this.textNode = document.createTextNode('');
    this.badge = badge('running');
    this.summary = h('span', { class: 'small muted' });
    this.text = h('div', { class: 'run-text', 'data-run-text': runId, 'aria-label': 'Text streamed by the run', tabindex: '0', role: 'log' });
    this.text.append(this.textNode);
    this.spans = svg('svg', { class: 'spans', role: 'img', 'aria-label': 'Tool calls on a time axis', height: '34' });
    this.events = h('ol', { class: 'events', 'aria-label': `Events of run ${runId}` });
    this.element = h('article', { class: 'run-group', 'data-run-id': runId, 'aria-label': `Run ${runId}` },
      h('header', {}, h('h3', {}, 'Run ', h('code', {}, runId)), this.badge, this.summary),
      this.text,
      this.spans,
      this.events);
    this.pendingDraw = false;
  }

  add(type, data) {
    const at = Date.parse(data.timestamp);
    if (this.firstAt === null) this.firstAt = at;
    switch (type) {
      case 'token_delta':
        this.textNode.appendData(data.text ?? '');
        this.deltas++;
        this.text.dataset.deltas = String(this.deltas);
        this.text.scrollTop = this.text.scrollHeight;
        this.textSpan = { start: this.textSpan?.start ?? at, end: at };
        this.#summarize();
        this.drawSpans();
        return;   // deltas are shown as their text, not listed one by one
      case 'execution_started':
        this.startedAt = at;
        this.#status('running');
        break;
      case 'run_queued':
        this.#status('queued');
        break;
      case 'run_cancelling':
        this.#status('running', 'cancel requested');
        break;
      case 'execution_finished':
        this.endedAt = at;
        this.ended = true;
        // A run that ended without streaming text has no text to show.
        this.text.hidden = this.deltas === 0;
        for (const tool of this.tools) if (tool.end === null) tool.end = at;
        this.#status(data.status, data.error ?? null);
        break;
      case 'tool_started':
        this.tools.push({ name: data.toolName, start: at, end: null, phase: 'open' });
        break;
      case 'tool_lifecycle': {
        const open = [...this.tools].reverse().find(tool => tool.name === data.toolName && tool.end === null);
        if (data.phase === 'begin') {
          if (!open) this.tools.push({ name: data.toolName, start: at, end: null, phase: 'open' });
        } else if (open) {
          open.end = at;
          open.phase = data.phase;
        } else {
          this.tools.push({ name: data.toolName, start: at, end: at, phase: data.phase });
        }
        break;
      }
      default:
        break;
    }
    this.events.append(eventItem(type, data));
    this.#summarize();
    this.drawSpans();
  }

  #status(status, note) {
    this.badge.dataset.status = status;
    this.badge.textContent = note ? `${status} (${note})` : status;
    this.element.dataset.status = status;
  }

  #summarize() {
    const start = this.startedAt ?? this.firstAt;
    const took = this.ended ? `took ${duration(this.endedAt - start)}` : null;
    const text = this.deltas > 0 ? `${this.deltas} token delta${this.deltas === 1 ? '' : 's'}, ${this.textNode.length} characters` : null;
    this.summary.textContent = [took, text].filter(Boolean).join(' · ');
  }

  /** Redraws the time axis (at most once per frame). */
  drawSpans() {
    if (this.pendingDraw) return;
    this.pendingDraw = true;
    requestAnimationFrame(() => {
      this.pendingDraw = false;
      this.#draw();
    });
  }

  #draw() {
    const start = this.startedAt ?? this.firstAt;
    if (start === null) return;
    const end = Math.max(this.endedAt ?? Date.now(), start + 1);
    const span = end - start;
    // Lane names in a column on the left, the time axis in the rest.
    const left = 12;
    const share = at => (Math.min(Math.max(at, start), end) - start) / span;
    const x = at => `${left + (100 - left) * share(at)}%`;
    const width = (from, to) => `${Math.max(0.4, (100 - left) * (share(to) - share(from)))}%`;
    const lanes = [];
    if (this.textSpan) lanes.push({ kind: 'text', name: 'text', start: this.textSpan.start, end: this.textSpan.end, phase: 'text' });
    for (const tool of this.tools.slice(0, MAX_LANES)) lanes.push({ kind: 'tool', ...tool, end: tool.end ?? end });
    const laneHeight = 18;
    const height = lanes.length * laneHeight + 22;
    this.spans.setAttribute('height', String(height));
    const label = lanes.length === 0 ? 'No tool calls yet' :
      lanes.map(lane => `${lane.name}: ${duration(lane.end - lane.start)}${lane.kind === 'tool' ? ` (${lane.phase})` : ''}`).join('; ');
    this.spans.setAttribute('aria-label', `Time axis of run ${this.runId}, ${duration(span)}. ${label}`);
    const nodes = lanes.map((lane, index) => {
      const y = index * laneHeight;
      const title = `${lane.kind === 'text' ? 'token deltas' : `tool ${lane.name}`}: ${duration(lane.end - lane.start)}` +
        (lane.kind === 'tool' ? `, ${lane.phase === 'open' ? 'in progress' : lane.phase}` : '');
      return svg('g', {},
        svg('rect', {
          class: lane.kind === 'text' ? 'text-span' : 'tool-span', 'data-phase': lane.phase,
          x: x(lane.start), y: String(y + 3), width: width(lane.start, lane.end), height: String(laneHeight - 6), rx: '2',
        }, svg('title', {}, title)),
        svg('text', { class: 'lane-label', x: '0', y: String(y + laneHeight - 5) }, lane.kind === 'text' ? 'text' : `tool ${lane.name}`));
    });
    const axisY = lanes.length * laneHeight + 4;
    nodes.push(
      svg('line', { class: 'axis', x1: `${left}%`, x2: '100%', y1: String(axisY), y2: String(axisY) }),
      svg('text', { class: 'tick', x: `${left}%`, y: String(axisY + 14) }, '0'),
      svg('text', { class: 'tick', x: '100%', y: String(axisY + 14), 'text-anchor': 'end' },
        this.ended ? duration(span) : `${duration(span)} (running)`));
    replace(this.spans, nodes);
  }
}

function eventItem(type, data) {
  return h('li', { 'data-type': type, 'data-sequence': String(data.sequence) },
    h('span', { class: 'seq' }, `#${data.sequence}`),
    timeEl(data.timestamp, { millis: true }),
    h('span', { class: 'type' }, type),
    h('span', { class: 'detail' }, detail(type, data)));
}

function detail(type, data) {
  switch (type) {
    case 'execution_finished': return data.error ? `${data.status}: ${data.error}` : data.status;
    case 'run_queued': return `position ${data.position}`;
    case 'run_cancelling': return data.reason ? `reason: ${data.reason}` : 'cancel requested';
    case 'tool_started': return data.toolName;
    case 'tool_lifecycle': return `${data.toolName} ${data.phase}`;
    case 'runner_progress': return `round ${data.roundCount}`;
    case 'token_budget': return `${data.used} of ${data.limit} tokens`;
    default: return '';
  }
}
