// The metrics panel: requests/s per instance, p50 and p99 latency, error ratio and cache hit
// ratio over the last 15 minutes, from GET /api/stats every 5 s. When the observe profile runs,
// the service answers Prometheus' recorded series (15 minutes of history at once); otherwise
// each answer holds the answering instance's counters since it started, and this page turns
// successive answers into rates (history starts when the page opens). Plain SVG, no library.
import { request, poll } from './api.js';
import { colourClass, el, fmtClock } from './format.js';

const WINDOW_MS = 15 * 60 * 1000;
const INTERVAL_MS = 5000;
const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 120;

const CHARTS = [
  { id: 'rps', title: 'Requests/s per instance', fmt: (v) => `${v.toFixed(v < 10 ? 1 : 0)}/s`, min: 1 },
  { id: 'latency', title: 'Latency p50 and p99', fmt: fmtSeconds, min: 0.01 },
  { id: 'errors', title: 'Error ratio (5xx)', fmt: fmtPercent, min: 0.01 },
  { id: 'cache', title: 'Cache hit ratio', fmt: fmtPercent, min: 1, max: 1 },
];

function fmtSeconds(s) {
  if (s >= 1) return `${s.toFixed(2)} s`;
  const ms = s * 1000;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function fmtPercent(r) {
  const p = r * 100;
  return `${p < 10 && p !== 0 ? p.toFixed(1) : Math.round(p)} %`;
}

/** The q-quantile of a cumulative histogram delta, interpolated within a bucket as Prometheus does. */
export function quantile(q, bounds, cumulative, total) {
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] >= rank) {
      const lowerBound = i === 0 ? 0 : bounds[i - 1];
      const lowerCount = i === 0 ? 0 : cumulative[i - 1];
      const inBucket = cumulative[i] - lowerCount;
      return inBucket > 0 ? lowerBound + (bounds[i] - lowerBound) * ((rank - lowerCount) / inBucket) : bounds[i];
    }
  }
  return bounds[bounds.length - 1]; // above the highest bound: Prometheus answers that bound too
}

/** Lines of one chart: [{ label, cls, points: [[ms, value|null], ...] }]. */
const emptyData = () => ({ rps: new Map(), p50: [], p99: [], errors: [], cache: [] });

export function startMetrics() {
  const source = document.getElementById('metrics-source');
  const grid = document.getElementById('charts');
  const views = new Map(CHARTS.map((c) => [c.id, buildChart(grid, c)]));
  let data = emptyData();
  let mode = '';
  const previous = new Map(); // instance -> { at, counters } (instance mode)
  let served = null; // { at, served } (instance mode)

  function trim(points, now) {
    while (points.length && points[0][0] < now - WINDOW_MS) points.shift();
  }

  function fromInstance(a) {
    const now = a.at;
    if (served && now > served.at) {
      const dt = (now - served.at) / 1000;
      for (const [name, count] of Object.entries(a.served || {})) {
        const before = served.served[name];
        if (typeof before === 'number' && count >= before) {
          if (!data.rps.has(name)) data.rps.set(name, []);
          data.rps.get(name).push([now, (count - before) / dt]);
        }
      }
    }
    served = { at: now, served: a.served || {} };
    const c = a.counters;
    const p = previous.get(a.instance);
    previous.set(a.instance, { at: now, counters: c });
    if (p && c.requests >= p.counters.requests) {
      const requests = c.requests - p.counters.requests;
      const bounds = c.buckets.map((b) => b[0]);
      const cumulative = c.buckets.map((b, i) => b[1] - (p.counters.buckets[i]?.[1] ?? 0));
      if (requests > 0) {
        data.p50.push([now, quantile(0.5, bounds, cumulative, requests)]);
        data.p99.push([now, quantile(0.99, bounds, cumulative, requests)]);
        data.errors.push([now, (c.serverErrors - p.counters.serverErrors) / requests]);
      }
      const hits = c.cacheHits - p.counters.cacheHits;
      const reads = hits + (c.cacheMisses - p.counters.cacheMisses) + (c.cacheBypasses - p.counters.cacheBypasses);
      if (reads > 0) data.cache.push([now, hits / reads]);
    }
    for (const points of [...data.rps.values(), data.p50, data.p99, data.errors, data.cache]) trim(points, now);
  }

  function fromPrometheus(a) {
    const s = a.series || {};
    const one = (name) => Object.values(s[name] || {})[0] || [];
    data = {
      rps: new Map(Object.entries(s.requestsPerSecond || {}).sort(([x], [y]) => x.localeCompare(y))),
      p50: one('p50Seconds'), p99: one('p99Seconds'), errors: one('errorRatio'), cache: one('cacheHitRatio'),
    };
  }

  async function tick() {
    const r = await request('/api/stats', { timeoutMs: 4000 });
    if (!r.ok || !r.json || typeof r.json.source !== 'string') {
      source.textContent = `No answer from /api/stats (${r.status || r.failure}); the plots keep what they had.`;
      return;
    }
    const a = r.json;
    if (a.source !== mode) {
      // Switching between Prometheus and the counters: the two histories do not mix.
      data = emptyData();
      previous.clear();
      served = null;
      mode = a.source;
    }
    if (a.source === 'prometheus') fromPrometheus(a);
    else fromInstance(a);
    grid.dataset.source = a.source;
    source.textContent = a.source === 'prometheus'
      ? `Source: Prometheus (the observe profile), last 15 minutes, one point every ${a.stepSeconds} s; updated ${fmtClock(a.at)}.`
      : `Source: the instances' own counters, sampled every ${INTERVAL_MS / 1000} s since this page opened (latency, errors and cache from the instance that answered each sample); start the observe profile (make up OBSERVE=1) for 15 minutes of history. Updated ${fmtClock(a.at)}.`;
    const now = a.at;
    draw(views.get('rps'), [...data.rps.entries()].map(([name, points]) => ({ label: name, cls: colourClass(name), points })), now);
    draw(views.get('latency'), [{ label: 'p50', cls: 'line-a', points: data.p50 }, { label: 'p99', cls: 'line-b', points: data.p99 }], now);
    draw(views.get('errors'), [{ label: '5xx', cls: 'line-bad', points: data.errors }], now);
    draw(views.get('cache'), [{ label: 'hits', cls: 'line-ok', points: data.cache }], now);
  }

  poll(tick, INTERVAL_MS);
}

function buildChart(grid, spec) {
  const fig = el('figure', 'chart', null, { id: `chart-${spec.id}`, 'data-state': 'empty' });
  fig.append(el('figcaption', 'chart__title', spec.title));
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart__plot');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${spec.title}, last 15 minutes`);
  const empty = el('p', 'chart__empty', 'Waiting for data…');
  const legend = el('ul', 'chart__legend');
  fig.append(svg, empty, legend);
  grid.append(fig);
  return { fig, svg, empty, legend, spec };
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Redraws a chart; a line needs two points, a gap (null) breaks it. */
function draw(view, lines, now) {
  const { fig, svg, empty, legend, spec } = view;
  const values = lines.flatMap((l) => l.points.map((p) => p[1]).filter((v) => typeof v === 'number' && Number.isFinite(v)));
  const drawable = lines.some((l) => l.points.filter((p) => p[1] !== null).length >= 2);
  fig.dataset.state = drawable ? 'data' : 'empty';
  empty.hidden = drawable;
  svg.replaceChildren();
  legend.replaceChildren();
  if (!drawable) return;
  const top = spec.max ?? Math.max(spec.min, ...values) * 1.15;
  const x = (t) => ((t - (now - WINDOW_MS)) / WINDOW_MS) * W;
  const y = (v) => H - 14 - (Math.min(v, top) / top) * (H - 22);
  svg.append(svgEl('line', { x1: 0, x2: W, y1: y(0), y2: y(0), class: 'chart__axis' }));
  svg.append(svgEl('text', { x: 2, y: 10, class: 'chart__label' }, spec.fmt(top)));
  svg.append(svgEl('text', { x: 2, y: H - 2, class: 'chart__label' }, '−15 min'));
  svg.append(svgEl('text', { x: W - 2, y: H - 2, class: 'chart__label chart__label--end' }, 'now'));
  for (const line of lines) {
    let d = '';
    let pen = false;
    for (const [t, v] of line.points) {
      if (v === null || !Number.isFinite(v)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    if (d) svg.append(svgEl('path', { d, class: `chart__line ${line.cls}` }));
    const last = [...line.points].reverse().find((p) => p[1] !== null && Number.isFinite(p[1]));
    const item = el('li', 'chart__key');
    item.append(el('span', `chart__swatch ${line.cls}`, null, { 'aria-hidden': 'true' }),
      el('span', null, `${line.label} ${last ? spec.fmt(last[1]) : '–'}`));
    legend.append(item);
  }
}
