// A small time-series chart in SVG: one line per series over the minutes of the last hour.
import { svg, h } from './dom.js';

const WIDTH = 1100;
const HEIGHT = 240;
const PAD = { left: 34, right: 10, top: 10, bottom: 24 };

/**
 * minutes: [{ minute (ISO), started, completed, cancelled, failed }], oldest first.
 * series: [{ key, label, value(minute) }]. Returns an <svg> with a text summary for screen readers.
 */
export function minuteChart(minutes, series, { title }) {
  const max = Math.max(1, ...minutes.flatMap(minute => series.map(line => line.value(minute))));
  const top = niceCeiling(max);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = index => PAD.left + (minutes.length <= 1 ? 0 : (plotWidth * index) / (minutes.length - 1));
  const y = value => PAD.top + plotHeight - (plotHeight * value) / top;
  const totals = series.map(line => `${line.label} ${minutes.reduce((sum, minute) => sum + line.value(minute), 0)}`);
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img',
    'aria-label': `${title}. Totals over the hour: ${totals.join(', ')}.`,
  });
  const grid = [0, 0.5, 1].map(share => {
    const value = Math.round(top * share);
    return svg('g', {},
      svg('line', { class: 'grid', x1: String(PAD.left), x2: String(WIDTH - PAD.right), y1: String(y(value)), y2: String(y(value)) }),
      svg('text', { class: 'axis-label', x: String(PAD.left - 6), y: String(y(value) + 4), 'text-anchor': 'end' }, String(value)));
  });
  const labels = [0, 15, 30, 45, minutes.length - 1].filter(index => index < minutes.length).map(index => {
    const minutesAgo = minutes.length - 1 - index;
    return svg('text', {
      class: 'axis-label', x: String(x(index)), y: String(HEIGHT - 6),
      'text-anchor': index === 0 ? 'start' : index === minutes.length - 1 ? 'end' : 'middle',
    }, minutesAgo === 0 ? 'now' : `−${minutesAgo} min`);
  });
  const lines = series.map(line => svg('polyline', {
    class: line.key,
    points: minutes.map((minute, index) => `${x(index).toFixed(1)},${y(line.value(minute)).toFixed(1)}`).join(' '),
  }, svg('title', {}, `${line.label} per minute`)));
  chart.append(...grid, ...labels, ...lines);
  return chart;
}

/** The legend of a chart's series (line styles differ, so colour is not the only cue). */
export function legend(series) {
  return h('ul', { class: 'legend' }, series.map(line => h('li', { class: line.key }, line.label)));
}

function niceCeiling(value) {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
