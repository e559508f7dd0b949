import {h, svg} from './dom.js';

// barChart draws a count per minute over the last hour (oldest first) as
// SVG bars, with the peak on the y axis and a title on each bar.
export function barChart(values, {label = 'events per minute'} = {}) {
  const width = 600, height = 140, left = 36, bottom = 18, top = 8;
  const peak = Math.max(1, ...values);
  const plotWidth = width - left, plotHeight = height - bottom - top;
  const step = plotWidth / Math.max(1, values.length);
  const bars = values.map((v, i) => {
    const barHeight = v === 0 ? 0 : Math.max(1, (v / peak) * plotHeight);
    const minutesAgo = values.length - 1 - i;
    return svg('rect', {
      x: (left + i * step + 1).toFixed(1), y: (top + plotHeight - barHeight).toFixed(1),
      width: Math.max(1, step - 2).toFixed(1), height: barHeight.toFixed(1), class: 'bar',
    }, svg('title', {}, `${v.toLocaleString('en-US')} ${label}, ${minutesAgo === 0 ? 'this minute' : minutesAgo + ' min ago'}`));
  });
  const text = (x, y, s, anchor = 'start') => svg('text', {x, y, 'text-anchor': anchor, class: 'axis'}, s);
  const chart = svg('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart'},
    svg('line', {x1: left, y1: top + plotHeight + 0.5, x2: width, y2: top + plotHeight + 0.5, class: 'baseline'}),
    svg('line', {x1: left, y1: top + 0.5, x2: width, y2: top + 0.5, class: 'gridline'}),
    text(left - 4, top + 4, peak.toLocaleString('en-US'), 'end'),
    text(left - 4, top + plotHeight + 4, '0', 'end'),
    text(left, height - 4, '60 min ago'),
    text(left + plotWidth / 2, height - 4, '30 min ago', 'middle'),
    text(width, height - 4, 'now', 'end'),
    bars);
  const total = values.reduce((a, b) => a + b, 0);
  return h('figure', {class: 'chart-box'}, chart,
    h('figcaption', {class: 'muted'}, `${total.toLocaleString('en-US')} in the last hour, peak ${Math.max(0, ...values).toLocaleString('en-US')} a minute`));
}
