// A paced, open-loop mixed load through Nginx: requests start on a fixed schedule whether or
// not earlier ones have answered (a closed loop would slow down exactly when an instance
// hangs, and hide the failures), up to a cap of requests in flight. The mix is the one of
// issue 9: item GETs, keyed POSTs and /api/instance. Every answer is recorded.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { BASE } from '../../e2e/lib/stack.mjs';

const TIMEOUT_MS = 15_000;

async function send(method, path, { body, headers = {} } = {}) {
  const started = performance.now();
  try {
    const res = await fetch(BASE + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    return { status: res.status, instance: res.headers.get('x-instance'), text, ms: performance.now() - started };
  } catch (e) {
    return { status: 0, error: String(e.cause?.code ?? e.name ?? e), text: '', ms: performance.now() - started };
  }
}

/**
 * Starts the load: `rate` requests per second until stop(). `postRetries`: how often the client
 * repeats a failed POST with the same key and body (0 = never; the kill drill allows it, as
 * API.md says a client may).
 */
export function startLoad({ rate = 60, maxInFlight = 64, postRetries = 0, tag = 'chaos' } = {}) {
  const results = []; // {at, kind, status, ms, instance, error}
  const known = [];
  const posts = { attempted: new Set(), acknowledged: new Map() };
  let stopping = false;
  let inFlight = 0;
  let n = 0;

  async function getItem() {
    const id = known.length ? known[(n * 7919) % known.length] : null;
    return id ? send('GET', `/api/items/${id}`) : send('GET', '/api/instance');
  }

  async function post() {
    const name = `${tag}-${process.pid}-${randomUUID().slice(0, 13)}`;
    const key = `chaos-${randomUUID()}`;
    posts.attempted.add(name);
    const body = { name, description: 'chaos drill load', quantity: 1 };
    for (let attempt = 0; ; attempt++) {
      const r = await send('POST', '/api/items', { body, headers: { 'idempotency-key': key } });
      r.attempt = attempt;
      r.name = name;
      if (r.status === 201) {
        const item = JSON.parse(r.text);
        posts.acknowledged.set(name, item.id);
        known.push(item.id);
        return r;
      }
      if (attempt >= postRetries) return r;
      results.push({ at: Date.now(), kind: 'POST', ...r, retried: true });
      await delay(100);
    }
  }

  async function one(k) {
    const kind = k % 4 === 3 ? 'POST' : k % 2 === 0 ? 'GET item' : 'GET instance';
    const at = Date.now();
    const r = kind === 'POST' ? await post() : kind === 'GET item' ? await getItem() : await send('GET', '/api/instance');
    results.push({ at, kind, ...r, text: r.status >= 400 || r.status === 0 ? r.text.slice(0, 200) : undefined });
  }

  const pending = new Set();
  const loop = (async () => {
    const interval = 1000 / rate;
    const t0 = performance.now();
    while (!stopping) {
      const due = t0 + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      if (inFlight >= maxInFlight) {
        results.push({ at: Date.now(), kind: 'skipped', status: -1, ms: 0 });
        n++;
        continue;
      }
      inFlight++;
      const p = one(n++).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
  })();

  return {
    results,
    posts,
    /** Resolves once `count` more answers have been recorded (bounded by timeoutMs). */
    async answers(count, timeoutMs = 60_000) {
      const target = results.length + count;
      const deadline = Date.now() + timeoutMs;
      while (results.length < target) {
        if (Date.now() > deadline) throw new Error(`the load got fewer than ${count} answers in ${timeoutMs} ms`);
        await delay(20);
      }
    },
    /** The first answer at or after `since` that came from `instance`, or undefined. */
    firstFrom(instance, since) {
      return results.find((r) => r.at >= since && r.instance === instance);
    },
    async stop() {
      stopping = true;
      await loop;
      await Promise.all([...pending]);
      return results;
    },
  };
}

/** Requests, failures by status, max latency of a slice of results. */
export function summarize(results) {
  const byStatus = {};
  let max = 0;
  let failed = 0;
  for (const r of results) {
    if (r.kind === 'skipped') {
      byStatus.skipped = (byStatus.skipped ?? 0) + 1;
      failed++;
      continue;
    }
    max = Math.max(max, r.ms);
    if (r.status >= 200 && r.status < 300) continue;
    // Who answered: an instance (X-Instance) or Nginx itself.
    const key = r.status === 0 ? `error(${r.error})` : `${r.status} ${r.instance ? 'service' : 'nginx'}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    failed++;
  }
  return { requests: results.length, failed, byStatus, maxMs: Math.round(max) };
}
