// chart.js - the pictures drawn from API series, as SVG: the 24-hour chart
// of reports in 15-minute buckets against the normal band, and the small
// sparklines of the home page. Drawn at the container's pixel width (text
// stays readable on a phone), in the viewer's time zone.
import { svg, el, t, num, pct, clock, problemName } from '/assets/js/core.js';

// 1, 2, 5 × 10^k: a step giving about `count` ticks up to max.
function niceStep(max, count) {
  const raw = max / count, p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** What a bar shows: the counted reports (one per person and vote window,
 * `clients`), the unit of the baseline's normal band. */
export const counted = (p) => (p.clients !== undefined ? p.clients : p.reports) || 0;

/**
 * The reports chart. points: the API's [{t, reports, clients, expected,
 * upper}], oldest first, step seconds each. Returns an <svg> sized for
 * `width`.
 */
export function reportsChart(points, step, width) {
  const W = Math.max(280, Math.round(width)), H = W < 560 ? 220 : 300;
  const m = { l: 46, r: 10, t: 14, b: 30 };
  const iw = W - m.l - m.r, ih = H - m.t - m.b;
  const n = Math.max(points.length, 1);
  const top = Math.max(4, ...points.map((p) => Math.max(counted(p), p.upper || 0)));
  const ystep = niceStep(top, 4), ymax = Math.ceil(top / ystep) * ystep;
  const x = (i) => m.l + (i * iw) / n;
  const y = (v) => m.t + ih - (v / ymax) * ih;
  const bw = iw / n;
  const parts = [];

  // Grid and y labels.
  for (let v = 0; v <= ymax + 1e-9; v += ystep) {
    parts.push(svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
    parts.push(svg('text', { class: 'ylabel', x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v)));
  }
  // The normal band: from 0 up to the baseline's upper bound, and the
  // expected level as a dashed step line.
  let band = `M${x(0)} ${y(0)}`, typical = '';
  points.forEach((p, i) => {
    const u = y(p.upper || 0), e = y(p.expected || 0);
    band += `L${x(i)} ${u}L${x(i + 1)} ${u}`;
    typical += `${i ? 'L' : 'M'}${x(i)} ${e}L${x(i + 1)} ${e}`;
  });
  band += `L${x(n)} ${y(0)}Z`;
  parts.push(svg('path', { class: 'band', d: band }));
  // Bars, red where above the band.
  const gap = bw > 4 ? 1 : 0.5;
  points.forEach((p, i) => {
    const n = counted(p);
    const h = (n / ymax) * ih;
    const hot = p.upper !== undefined && p.upper !== null && n > p.upper;
    const end = new Date(new Date(p.t).getTime() + step * 1000).toISOString();
    parts.push(svg('rect', {
      class: hot ? 'bar hot' : 'bar', x: x(i) + gap / 2, y: y(0) - h, width: Math.max(bw - gap, 0.5), height: h,
      'data-t': p.t, 'data-reports': n, 'data-upper': p.upper,
    }, svg('title', null, t('chart.bar', {
      from: clock(p.t, false), to: clock(end), n: num(n), upper: num(p.upper || 0, 0),
    }))));
  });
  parts.push(svg('path', { class: 'typical', d: typical }));
  parts.push(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: y(0), y2: y(0) }));

  // x labels on whole local hours, every 3 h (6 h when narrow).
  const every = iw / n * (3600 / step) * 3 < 60 ? 6 : 3;
  const local = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  points.forEach((p, i) => {
    const [hh, mm] = local.format(new Date(p.t)).split(':').map(Number);
    if (mm !== 0 || hh % every) return;
    parts.push(svg('line', { class: 'tick', x1: x(i), x2: x(i), y1: y(0), y2: y(0) + 4 }));
    parts.push(svg('text', { class: 'xlabel', x: x(i), y: H - 10, 'text-anchor': 'middle' }, clock(p.t, false)));
  });
  return svg('svg', {
    class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-labelledby': 'chart-summary',
  }, parts);
}

/** The legend under the chart. */
export function chartLegend() {
  const key = (cls, label) => el('li', null, el('span', { class: 'key ' + cls, 'aria-hidden': 'true' }), label);
  return el('ul', { class: 'legend' },
    key('k-bar', t('chart.legend.reports')), key('k-hot', t('chart.legend.above')),
    key('k-band', t('chart.legend.band')), key('k-typical', t('chart.legend.typical')));
}

/** A 24-value sparkline, scaled to its own maximum. */
export function sparkline(values, status) {
  const W = 120, H = 32, n = values.length;
  const max = Math.max(1, ...values);
  const px = (i) => (n > 1 ? (i * W) / (n - 1) : 0);
  const py = (v) => H - 2 - (v / max) * (H - 4);
  let line = '';
  values.forEach((v, i) => { line += `${i ? 'L' : 'M'}${px(i).toFixed(1)} ${py(v).toFixed(1)}`; });
  const quiet = values.every((v) => !v) ? ' quiet' : '';
  return svg('svg', {
    class: 'spark ' + (status || 'ok') + quiet, viewBox: `0 0 ${W} ${H}`, width: W, height: H,
    preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false',
  },
    svg('path', { class: 'area', d: `${line}L${W} ${H}L0 ${H}Z` }),
    svg('path', { class: 'line', d: line }));
}

/** Problem shares ({login: 0.3, …}) as labelled bars, largest first;
 * shares under half a percent are left out. */
export function problemBars(shares) {
  const rows = Object.entries(shares || {}).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return null;
  return el('ol', { class: 'bars' }, rows.map(([p, v]) => {
    const fill = el('span', { class: 'fill' });
    fill.style.width = Math.max(2, Math.round(v * 100)) + '%'; // CSSOM: allowed by the CSP
    return el('li', { 'data-problem': p },
      el('span', { class: 'label' }, problemName(p)),
      el('span', { class: 'value' }, pct(v)),
      el('span', { class: 'track', 'aria-hidden': 'true' }, fill));
  }));
}
