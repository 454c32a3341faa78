// Small fetch wrapper: every call has a timeout, never throws, and returns
// what the page needs to show a result or a failure honestly.

/**
 * @typedef {object} ApiResult
 * @property {boolean} ok          2xx answer
 * @property {number}  status      HTTP status, 0 when no answer arrived
 * @property {string}  statusText
 * @property {Headers|null} headers
 * @property {any}     json        parsed body when it was JSON (or problem+json)
 * @property {string}  failure     '' | 'timeout' | 'network'
 * @property {number}  ms          round-trip time
 */

/**
 * @param {string} path
 * @param {{method?: string, headers?: Record<string,string>, body?: string, timeoutMs?: number}} [opts]
 * @returns {Promise<ApiResult>}
 */
export async function request(path, opts = {}) {
  const { method = 'GET', headers = {}, body, timeoutMs = 3000 } = opts;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, timeoutMs);
  const started = performance.now();
  try {
    const res = await fetch(path, {
      method,
      headers: { Accept: 'application/json, application/problem+json', ...headers },
      body,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: ctrl.signal,
    });
    const text = await res.text(); // the body is read under the same timeout
    let json = null;
    if (text && /json/i.test(res.headers.get('Content-Type') || '')) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    return {
      ok: res.ok, status: res.status, statusText: res.statusText, headers: res.headers,
      json, failure: '', ms: performance.now() - started,
    };
  } catch {
    return {
      ok: false, status: 0, statusText: '', headers: null, json: null,
      failure: timedOut ? 'timeout' : 'network', ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The short label of a failed result: "502", "ERR". */
export function shortFailure(r) {
  return r.status ? String(r.status) : 'ERR';
}

/** A one-line human description of a failed result, using problem+json when present. */
export function describeFailure(r) {
  if (!r.status) {
    return r.failure === 'timeout' ? 'no answer within the time limit (timeout)' : 'the service could not be reached (network error)';
  }
  const p = r.json && typeof r.json === 'object' ? r.json : null;
  const title = (p && typeof p.title === 'string' && p.title) || r.statusText || 'HTTP error';
  const detail = p && typeof p.detail === 'string' && p.detail ? `: ${p.detail}` : '';
  return `${r.status} ${title}${detail}`;
}

/** A random UUID; crypto.randomUUID only exists in secure contexts, so fall back to getRandomValues. */
export function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs fn() forever, one call at a time, starting a call at most every intervalMs.
 * Returns an object whose paused flag stops and restarts the loop.
 */
export function poll(fn, intervalMs) {
  const ctl = { paused: false, running: false };
  const loop = async () => {
    ctl.running = true;
    while (!ctl.paused) {
      const t0 = performance.now();
      try { await fn(); } catch (e) { console.warn('poll step failed', e); }
      await sleep(Math.max(0, intervalMs - (performance.now() - t0)));
    }
    ctl.running = false;
  };
  ctl.start = () => { ctl.paused = false; if (!ctl.running) loop(); };
  ctl.stop = () => { ctl.paused = true; };
  ctl.start();
  return ctl;
}
