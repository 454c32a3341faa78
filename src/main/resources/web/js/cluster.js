// "Cluster": polls /api/cluster every second. Instances that stop sending heartbeats
// (lastSeen older than STALE_AFTER_MS) or drop out of the list stay shown, marked STALE.
// While the live instances run different versions (a rollout, `make deploy`), every version
// cell says so and the event log records each instance's change of version.
import { request, poll, describeFailure } from './api.js';
import { el, fmtClock, fmtDuration, fmtNum, instanceChip, parseTime, timeEl } from './format.js';
import { logEvent } from './log.js';

const INTERVAL_MS = 1000;
const TIMEOUT_MS = 2500;
const STALE_AFTER_MS = 3000;
const FORGET_AFTER_MS = 5 * 60 * 1000;

/** The server's "now": the Date header (1 s resolution) or the newest heartbeat, whichever is later. */
function serverNow(r, instances) {
  let ref = Date.parse(r.headers.get('Date') || '');
  for (const i of instances) {
    const t = parseTime(i.lastSeen);
    if (Number.isFinite(t) && !(t <= ref)) ref = t;
  }
  return Number.isFinite(ref) ? ref : Date.now();
}

export function startCluster() {
  const body = document.getElementById('cluster-body');
  const degradedBanner = document.getElementById('degraded');
  const errorBanner = document.getElementById('cluster-error');
  const totalEl = document.getElementById('total-requests');
  const liveEl = document.getElementById('live-count');
  const redisEl = document.getElementById('redis-state');
  const updatedEl = document.getElementById('cluster-updated');

  /** name -> {info, present, state, reason, lastPresentAt, age} */
  const known = new Map();
  let degraded = null;
  let mixedBefore = false;
  let failures = 0;
  let lastOkAt = 0;

  function setState(name, entry, state, reason) {
    const before = entry.state;
    entry.state = state;
    entry.reason = reason;
    if (before === state || before === undefined) {
      if (before === undefined && state === 'stale') logEvent(`${name} is STALE: ${reason}.`, 'warn');
      return;
    }
    if (state === 'stale') logEvent(`${name} is STALE: ${reason}.`, 'warn');
    else if (state === 'live') logEvent(`${name} is live again.`, 'ok');
  }

  /** Live instances per version; more than one key = a rollout in progress. */
  let versions = new Map();
  let liveCount = 0;
  let mixed = false;

  function countVersions() {
    versions = new Map();
    liveCount = 0;
    for (const e of known.values()) {
      if (e.state !== 'live' || !e.info.version) continue;
      liveCount += 1;
      versions.set(e.info.version, (versions.get(e.info.version) ?? 0) + 1);
    }
    mixed = versions.size > 1;
    if (mixed !== mixedBefore) {
      const list = [...versions].map(([v, n]) => `${v} ×${n}`).join(', ');
      if (mixed) logEvent(`Rollout in progress: the instances run ${versions.size} versions (${list}).`, 'warn');
      else if (versions.size === 1) logEvent(`Rollout finished: every live instance runs ${[...versions.keys()][0]}.`, 'ok');
      mixedBefore = mixed;
    }
  }

  function renderRow(name, e) {
    const tr = el('tr', `row row--${e.state}`, null, { 'data-instance': name, 'data-state': e.state });
    const th = el('th', 'cell-instance', null, { scope: 'row' });
    th.append(instanceChip(name), el('span', 'instance-name', name));

    const status = el('td', 'cell-status', null, { 'data-label': 'Status' });
    const badgeText = { live: 'LIVE', stale: 'STALE', unknown: 'UNKNOWN' }[e.state];
    status.append(el('span', `badge badge--${e.state}`, badgeText));
    if (e.reason) status.append(el('span', 'status-reason', e.reason));

    const started = parseTime(e.info.startedAt);
    const startedTd = el('td', 'cell-started', null, { 'data-label': 'Started' });
    startedTd.append(timeEl(started, fmtClock(started)));
    if (Number.isFinite(started) && e.state === 'live') startedTd.append(el('span', 'sub', `up ${fmtDuration(e.now - started)}`));

    const seen = parseTime(e.info.lastSeen);
    const seenTd = el('td', 'cell-seen', null, { 'data-label': 'Last seen' });
    seenTd.append(timeEl(seen, Number.isFinite(seen) ? `${fmtDuration(e.now - seen)} ago` : '–'));

    const versionTd = el('td', 'cell-version', null, { 'data-label': 'Version', 'data-mixed': String(mixed) });
    versionTd.append(el('span', 'version', e.info.version ?? '–'));
    if (mixed && e.state === 'live') {
      // Inline style: the dashboard's stylesheet has no rule for this cell's note.
      const note = el('span', 'version-mixed', `rollout: ${versions.get(e.info.version) ?? 0} of ${liveCount} on this version`);
      note.style.cssText = 'display:block;font-size:0.78rem;color:var(--warn)';
      versionTd.append(note);
    }

    tr.append(
      th,
      status,
      versionTd,
      startedTd,
      seenTd,
      el('td', 'num', fmtNum(e.info.requestsServed), { 'data-label': 'Requests served' }),
    );
    return tr;
  }

  function render() {
    countVersions();
    const names = [...known.keys()].sort();
    if (!names.length) {
      const tr = el('tr', 'empty-row');
      tr.append(el('td', null, lastOkAt ? 'No instance has sent a heartbeat in the last 10 s.' : 'Waiting for the first cluster answer…', { colspan: 6 }));
      body.replaceChildren(tr);
    } else {
      body.replaceChildren(...names.map((n) => renderRow(n, known.get(n))));
    }
    const live = names.filter((n) => known.get(n).state === 'live').length;
    liveEl.textContent = `${live} of ${names.length}${mixed ? ` · ${versions.size} versions` : ''}`;
  }

  async function tick() {
    const r = await request('/api/cluster', { timeoutMs: TIMEOUT_MS });
    const data = r.json;
    if (!r.ok || !data || !Array.isArray(data.instances)) {
      failures += 1;
      const why = r.ok ? 'unexpected answer' : describeFailure(r);
      errorBanner.textContent = `Cluster view failed at ${fmtClock(Date.now())}: ${why}. Showing the last known state${lastOkAt ? ` from ${fmtDuration(Date.now() - lastOkAt)} ago` : ''}.`;
      errorBanner.hidden = false;
      if (failures === 3) logEvent(`Requests to /api/cluster are failing: ${why}.`, 'error');
      updatedEl.textContent = lastOkAt ? `${fmtClock(lastOkAt)} (failing)` : 'failing';
      updatedEl.className = 'stat--bad';
      return;
    }
    if (failures >= 3) logEvent('The cluster view answers again.', 'ok');
    failures = 0;
    errorBanner.hidden = true;
    const clientNow = Date.now();
    lastOkAt = clientNow;
    const now = serverNow(r, data.instances);

    const present = new Set();
    const isDegraded = data.degraded === true;
    const via = r.headers.get('X-Instance');
    for (const info of data.instances) {
      if (!info || typeof info.instance !== 'string') continue;
      const name = info.instance;
      present.add(name);
      const entry = known.get(name) || {};
      if (entry.info?.version && info.version && entry.info.version !== info.version) {
        logEvent(`${name}: version ${entry.info.version} → ${info.version}.`, 'ok');
      }
      entry.info = info;
      entry.present = true;
      entry.lastPresentAt = clientNow;
      entry.now = now;
      const age = now - parseTime(info.lastSeen);
      known.set(name, entry);
      if (isDegraded && name === via) setState(name, entry, 'live', 'answering; heartbeats paused');
      else if (age > STALE_AFTER_MS && isDegraded) setState(name, entry, 'unknown', 'heartbeats paused while Redis is down');
      else if (age > STALE_AFTER_MS) setState(name, entry, 'stale', `no heartbeat for ${fmtDuration(age)}`);
      else setState(name, entry, 'live', '');
    }
    for (const [name, entry] of known) {
      if (present.has(name)) continue;
      if (clientNow - entry.lastPresentAt > FORGET_AFTER_MS) { known.delete(name); continue; }
      entry.now = now;
      entry.present = false;
      if (isDegraded) setState(name, entry, 'unknown', 'not visible while Redis is down');
      else setState(name, entry, 'stale', `gone from the cluster list ${fmtDuration(clientNow - entry.lastPresentAt)} ago`);
    }

    if (degraded !== isDegraded) {
      if (isDegraded) logEvent('DEGRADED: Redis is unavailable.', 'error');
      else if (degraded !== null) logEvent('Redis is back: no longer degraded.', 'ok');
      degraded = isDegraded;
    }
    degradedBanner.hidden = !isDegraded;
    redisEl.textContent = isDegraded ? 'DOWN (degraded)' : 'OK';
    redisEl.className = isDegraded ? 'stat--bad' : 'stat--good';
    totalEl.textContent = data.totalRequests === null || data.totalRequests === undefined ? 'unknown' : fmtNum(data.totalRequests);
    updatedEl.textContent = `${fmtClock(clientNow)}${via ? ` via ${via}` : ''}`;
    updatedEl.className = '';
    render();
  }

  poll(tick, INTERVAL_MS);
}
