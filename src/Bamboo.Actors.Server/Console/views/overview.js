// The overview (GET /overview): runs active, runs started / completed / failed per minute over the last hour, the
// error rate, and in cluster mode the members and how many sessions each one hosts. Re-read every 5 s.
import { get, statusLine, errorText } from '../api.js';
import { h, replace, timeEl } from '../dom.js';
import { Poller } from '../poller.js';
import { minuteChart, legend } from '../chart.js';

const REFRESH_MS = 5000;
const SERIES = [
  { key: 'started', label: 'started', value: minute => minute.started },
  { key: 'completed', label: 'completed', value: minute => minute.completed },
  { key: 'failed', label: 'failed (error)', value: minute => minute.failed },
];

export function overviewView(main) {
  document.title = 'Overview · Bamboo.Actors console';
  const poller = new Poller();
  const updated = h('p', { class: 'small muted' }, 'Loading…');
  const notice = h('div', { role: 'alert' });
  const tiles = h('div', { class: 'tiles', id: 'overview-tiles' });
  const chartHolder = h('div', {});
  const cluster = h('section', { class: 'panel', 'aria-labelledby': 'cluster-title' });

  replace(main,
    h('div', { class: 'spread' }, h('h1', {}, 'Overview'), updated),
    notice,
    tiles,
    h('section', { class: 'panel', 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title' }, 'Runs per minute, last hour'),
      chartHolder,
      legend(SERIES)),
    cluster);

  async function refresh() {
    const answer = await get('overview');
    if (!answer.ok) {
      replace(notice, h('p', { class: 'notice error' }, `Could not read the overview: ${statusLine(answer)} — ${errorText(answer)}`));
      return;
    }
    notice.replaceChildren();
    const overview = answer.body;
    const hour = overview.lastHour;
    const ended = hour.completed + hour.cancelled + hour.failed;
    replace(tiles,
      tile('Runs active', overview.runsActive, 'runs-active'),
      tile('Started, last hour', hour.started, 'runs-started'),
      tile('Failed, last hour', hour.failed, 'runs-failed', `${hour.cancelled} cancelled, ${hour.completed} completed`),
      tile('Error rate', hour.errorRate === null ? '—' : `${(hour.errorRate * 100).toFixed(1)} %`, 'error-rate',
        ended === 0 ? 'no run ended this hour' : `of ${ended} ended runs`));
    replace(chartHolder, minuteChart(overview.minutes, SERIES, { title: 'Runs started, completed and failed per minute over the last hour' }));
    renderCluster(overview);
    updated.replaceChildren(
      overview.node ? `Counted on ${overview.node} · updated ` : 'Updated ',
      timeEl(overview.generatedAt));
  }

  function renderCluster(overview) {
    if (!overview.cluster) {
      replace(cluster,
        h('h2', { id: 'cluster-title' }, 'Cluster'),
        h('p', { class: 'muted' }, 'This server runs alone (local mode): its sessions all live in this process.'));
      return;
    }
    const members = overview.cluster.members;
    replace(cluster,
      h('h2', { id: 'cluster-title' }, `Cluster members (${members.length})`),
      overview.cluster.sharding === 'ok' ? null
        : h('p', { class: 'notice warn' }, `Session counts unavailable: ${overview.cluster.sharding}`),
      h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Cluster members', tabindex: '0' },
        h('table', { id: 'members-table' },
          h('caption', { class: 'visually-hidden' }, 'Cluster members and the sessions they host'),
          h('thead', {}, h('tr', {}, ['Address', 'Status', 'Reachable', 'Roles', 'Sessions', 'Shards'].map(name => h('th', { scope: 'col' }, name)))),
          h('tbody', {}, members.map(member => h('tr', {},
            h('td', { class: 'id' }, h('code', {}, member.address),
              member.self ? h('span', { class: 'small muted' }, ' (this node)') : null,
              overview.cluster.leader === member.address ? h('span', { class: 'small muted' }, ' (leader)') : null),
            h('td', {}, member.status),
            h('td', {}, member.reachable ? 'yes' : 'no'),
            h('td', {}, member.roles.length ? member.roles.join(', ') : '—'),
            h('td', { class: 'num' }, member.sessions ?? '—'),
            h('td', { class: 'num' }, member.shards ?? '—')))))),
      h('p', { class: 'small muted' }, 'Sessions: session runners in memory on each member (cluster sharding statistics). ' +
        'Run counts above are this node\'s.'));
  }

  poller.add('overview', refresh, REFRESH_MS);
  return { dispose: () => poller.stop() };
}

function tile(label, value, id, note) {
  return h('div', { class: 'tile', id },
    h('div', { class: 'value' }, String(value)),
    h('div', { class: 'label' }, label),
    note ? h('div', { class: 'small muted' }, note) : null);
}
