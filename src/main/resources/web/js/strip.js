// "Who answered": polls /api/instance and draws the last answers as a strip of cells.
import { request, poll, shortFailure, describeFailure } from './api.js';
import { abbrev, colourClass, el, fmtClock, fmtDuration, fmtNum } from './format.js';
import { logEvent } from './log.js';

const WINDOW = 60;
const INTERVAL_MS = 250;
const TIMEOUT_MS = 2000;

export function startStrip({ onInstanceInfo } = {}) {
  const strip = document.getElementById('strip');
  const legend = document.getElementById('legend');
  const meta = document.getElementById('who-meta');
  const toggle = document.getElementById('who-toggle');
  const connDot = document.getElementById('conn-dot');
  const connText = document.getElementById('conn-text');

  /** @type {{key: string, ok: boolean}[]} the answers currently in the strip, oldest first */
  const answers = [];
  const totals = new Map(); // key -> answers since the page loaded
  let failingSince = 0;     // consecutive failures
  let lastOkAt = 0;
  let lastFailure = '';
  const seen = new Set();

  function push(entry, cell) {
    answers.push(entry);
    strip.append(cell);
    while (answers.length > WINDOW) {
      answers.shift();
      strip.firstElementChild?.remove();
    }
    totals.set(entry.key, (totals.get(entry.key) || 0) + 1);
  }

  function renderLegend() {
    const inWindow = new Map();
    for (const e of answers) inWindow.set(e.key, (inWindow.get(e.key) || 0) + 1);
    const keys = [...totals.keys()].filter((k) => k !== 'error').sort();
    if (totals.has('error')) keys.push('error');
    legend.replaceChildren(...keys.map((k) => {
      const n = inWindow.get(k) || 0;
      const li = el('li', 'legend__item', null, { 'data-instance': k });
      const chip = k === 'error'
        ? el('span', 'chip chip--err', 'ERR', { 'aria-hidden': 'true' })
        : el('span', `chip ${colourClass(k)}`, abbrev(k), { 'aria-hidden': 'true' });
      const name = el('span', 'legend__name', k === 'error' ? 'failed' : k);
      const count = el('span', 'legend__count', `${n} of last ${answers.length}`);
      const pct = el('span', 'legend__pct', answers.length ? `${Math.round((100 * n) / answers.length)}%` : '');
      const total = el('span', 'legend__total', `${fmtNum(totals.get(k))} since page load`);
      li.append(chip, name, count, pct, total);
      return li;
    }));
  }

  function setConn(state, text) {
    connDot.className = `conn__dot conn__dot--${state}`;
    connText.textContent = text;
  }

  async function tick() {
    const at = Date.now();
    const r = await request('/api/instance', { timeoutMs: TIMEOUT_MS });
    const body = r.json && typeof r.json === 'object' ? r.json : null;
    const instance = r.ok && body && typeof body.instance === 'string' && body.instance
      ? body.instance
      : (r.ok ? r.headers.get('X-Instance') : null);

    if (r.ok && instance) {
      const cell = el('li', `cell ${colourClass(instance)}`, abbrev(instance), {
        'data-instance': instance,
        title: `${instance} · ${fmtClock(at)} · ${Math.round(r.ms)} ms`,
      });
      push({ key: instance, ok: true }, cell);
      if (!seen.has(instance)) {
        seen.add(instance);
        logEvent(`First answer from ${instance}.`, 'info');
      }
      if (failingSince >= 3) logEvent(`Answers are back (${instance} answered after ${failingSince} failed requests).`, 'ok');
      failingSince = 0;
      lastOkAt = at;
      meta.textContent = `Last answer: ${instance} (version ${body?.version ?? '?'}, up ${fmtDuration((body?.uptimeSeconds ?? NaN) * 1000)}, `
        + `${fmtNum(body?.requestsServed)} requests served) in ${Math.round(r.ms)} ms at ${fmtClock(at)}.`;
      setConn('ok', `Live · last answer from ${instance}`);
      onInstanceInfo?.(body, r.headers);
    } else {
      const label = r.ok ? 'ERR' : shortFailure(r);
      const why = r.ok ? 'answer without an instance id' : describeFailure(r);
      const cell = el('li', 'cell cell--err', label, {
        'data-status': label,
        title: `failed · ${why} · ${fmtClock(at)}`,
      });
      push({ key: 'error', ok: false }, cell);
      failingSince += 1;
      lastFailure = why;
      if (failingSince === 3) logEvent(`Requests to /api/instance are failing: ${why}.`, 'error');
      const since = lastOkAt ? `last answer ${fmtDuration(Date.now() - lastOkAt)} ago` : 'no answer yet';
      meta.textContent = `Last request failed at ${fmtClock(at)}: ${lastFailure} (${since}).`;
      setConn(failingSince >= 3 ? 'error' : 'warn', failingSince >= 3 ? `Failing · ${label}` : `Hiccup · ${label}`);
    }
    renderLegend();
  }

  const ctl = poll(tick, INTERVAL_MS);

  toggle.addEventListener('click', () => {
    const pause = !ctl.paused;
    if (pause) ctl.stop(); else ctl.start();
    toggle.setAttribute('aria-pressed', String(pause));
    toggle.textContent = pause ? 'Resume' : 'Pause';
    if (pause) setConn('paused', 'Paused');
    logEvent(pause ? 'Polling of /api/instance paused.' : 'Polling of /api/instance resumed.', 'info');
  });
}
