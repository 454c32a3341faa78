// Helpers for the end-to-end tests: the Compose stack that `make up` started, reached only
// through the published Nginx port on the host and through the docker CLI.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { validateAnswer } from './openapi.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COMPOSE_FILE = path.join(ROOT, 'compose', 'compose.yaml');
export const PROJECT = 'triad';

function dotenv() {
  try {
    return Object.fromEntries(
      readFileSync(path.join(ROOT, 'compose', '.env'), 'utf8')
        .split('\n')
        .map((l) => l.match(/^\s*([A-Z0-9_]+)=(.*)$/))
        .filter(Boolean)
        .map((m) => [m[1], m[2].trim()]),
    );
  } catch {
    return {};
  }
}
const env = dotenv();
const host = process.env.TRIAD_BIND ?? env.TRIAD_BIND ?? '127.0.0.1';
const port = process.env.TRIAD_PORT ?? env.TRIAD_PORT ?? '9999';
export const BASE = process.env.TRIAD_URL ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
export const INSTANCES = ['web1', 'web2', 'web3'];

/** Runs a command; resolves with stdout, rejects with its stderr on a non-zero exit. */
export function run(cmd, args, { timeoutMs = 300_000, cwd = ROOT } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`;
        reject(err);
      } else {
        resolve(stdout);
      }
    });
  });
}

/**
 * The Compose files of the model that runs: compose/ha.yaml on top when `make up HA=1` recorded
 * TRIAD_HA=1 in compose/.env (the Makefile derives its own list the same way).
 */
export const HA = (process.env.TRIAD_HA ?? env.TRIAD_HA) === '1';
export const COMPOSE_FILES = HA ? [COMPOSE_FILE, path.join(ROOT, 'compose', 'ha.yaml')] : [COMPOSE_FILE];

/** `docker compose` on the stack's project. */
export function compose(...args) {
  return run('docker', ['compose', ...COMPOSE_FILES.flatMap((f) => ['-f', f]), '--project-name', PROJECT, ...args]);
}

/** The container id of a service (its first replica), or '' when it has none. */
export async function containerId(service) {
  return (await compose('ps', '--all', '--quiet', service)).trim().split('\n')[0] ?? '';
}

export async function inspect(service) {
  const id = await containerId(service);
  if (!id) throw new Error(`no container for ${service}`);
  return JSON.parse(await run('docker', ['inspect', id]))[0];
}

/** Polls `check` until it returns a truthy value; bounded by time, never unbounded. */
export async function waitFor(what, check, { timeoutMs = 30_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await delay(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * One HTTP request through Nginx. Never retries. Resolves with status, headers, body, ms.
 * Every answer is checked against the OpenAPI description (lib/openapi.mjs): a mismatch
 * rejects, so the test that saw it fails, naming the status, header or field.
 */
export async function request(method, urlPath, { body, headers = {}, timeoutMs = 15_000 } = {}) {
  const started = performance.now();
  const res = await fetch(BASE + urlPath, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const ms = performance.now() - started;
  validateAnswer({ method, url: urlPath, status: res.status, headers: res.headers, text });
  return { status: res.status, headers: res.headers, text, json, ms };
}

/**
 * Sends `bytes` as they are on a new TCP connection to the Nginx port (fetch would normalise a
 * target like `/%zz` or refuse bytes that a real client may send) and reads until the server
 * closes. Resolves with status, lower-case headers, body text, the parsed JSON body (or
 * undefined) and ms: the time from the last byte sent to the close.
 */
export function rawRequest(bytes, { timeoutMs = 30_000 } = {}) {
  const { hostname, port: p } = new URL(BASE);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let sentAt;
    const socket = net.connect({ host: hostname, port: Number(p) }, () => socket.write(bytes, () => (sentAt = performance.now())));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no close within ${timeoutMs} ms`)));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => (e.code === 'ECONNRESET' && chunks.length ? finish() : reject(e)));
    socket.on('end', finish);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      socket.destroy();
      const ms = performance.now() - (sentAt ?? performance.now());
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      let body = split < 0 ? '' : text.slice(split + 4);
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
      let json;
      try {
        json = JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]) || 0, statusLine, headers, text: body, json, ms });
    }
  });
}

function dechunk(s) {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const eol = s.indexOf('\r\n', i);
    const size = parseInt(s.slice(i, eol), 16);
    if (!size) break;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
  return out;
}

export const newKey = () => `e2e-${randomUUID()}`;

/** Creates an item with an Idempotency-Key; resolves with the response. */
export function createItem(name, key = newKey(), extra = {}) {
  return request('POST', '/api/items', {
    body: { name, description: `created by the e2e tests (${key})`, quantity: 1, ...extra },
    headers: { 'idempotency-key': key },
  });
}

/** Every item, page by page (bounded). */
export async function allItems({ pageLimit = 200, maxPages = 10_000 } = {}) {
  const items = [];
  let after = 0;
  for (let page = 0; page < maxPages; page++) {
    const r = await request('GET', `/api/items?limit=${pageLimit}&after=${after}`);
    if (r.status !== 200) throw new Error(`GET /api/items answered ${r.status}: ${r.text}`);
    items.push(...r.json.items);
    if (r.json.next === null) return items;
    after = r.json.next;
  }
  throw new Error('more pages than expected');
}

/**
 * Resolves with Date.now() at the first 200 of the instance's own /health/ready (asked inside
 * its container: the admin port is not published).
 */
export async function waitReady(service, timeoutMs = 180_000) {
  return waitFor(
    `${service} ready`,
    async () => {
      await run('docker', ['exec', await containerId(service), 'curl', '-fsS', '-m', '2', '-o', '/dev/null', 'http://localhost:8081/health/ready'], { timeoutMs: 10_000 });
      return Date.now();
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Resolves once every instance has answered /api/instance through Nginx. */
export async function waitAllServing(timeoutMs = 60_000) {
  const seen = new Set();
  await waitFor(
    `all of ${INSTANCES.join(', ')} answering through Nginx`,
    async () => {
      const r = await request('GET', '/api/instance', { timeoutMs: 5_000 });
      if (r.status === 200) seen.add(r.headers.get('x-instance'));
      return INSTANCES.every((i) => seen.has(i));
    },
    { timeoutMs, intervalMs: 20 },
  );
}

/** Starts every instance that is not running, then waits until all three serve. */
export async function restoreInstances() {
  const stopped = [];
  for (const s of INSTANCES) {
    const c = await inspect(s).catch(() => null);
    if (!c || !c.State.Running) stopped.push(s);
  }
  if (stopped.length) await compose('up', '-d', '--no-recreate', ...stopped);
  await waitAllServing();
}

/**
 * Steady load from several workers until stop() is called (or maxMs passes): GETs of
 * /api/instance, of known items and of a list page, and POSTs that each carry their own
 * Idempotency-Key. The client never retries unless retryPosts is set, in which case a failed
 * POST is repeated with the same key and body (at most postRetries times).
 */
export function startLoad({ getWorkers = 4, postWorkers = 2, paceMs = 5, rate = 0, maxMs = 120_000, retryPosts = false, postRetries = 20, tag = 'load' } = {}) {
  const stats = {
    gets: 0,
    posts: 0,
    failedGets: [],
    failedPosts: [],
    acknowledged: new Map(), // name -> item
    attempted: new Set(), // names
    byInstance: {},
    retriedPosts: 0,
  };
  let stopping = false;
  const started = Date.now();
  const deadline = started + maxMs;
  // With a rate, each worker sends on a schedule (its k-th request at start + k * interval,
  // the workers staggered) and catches up after a slow answer, so the load keeps its rate
  // whatever the latency; without one, each worker waits paceMs after each answer.
  const workerCount = getWorkers + postWorkers;
  const intervalMs = rate > 0 ? (workerCount * 1000) / rate : 0;
  const pace = async (slot, k) => {
    if (intervalMs) {
      const wait = started + (slot / workerCount + k) * intervalMs - Date.now();
      if (wait > 0) await delay(wait);
    } else if (paceMs) await delay(paceMs);
  };
  const running = () => !stopping && Date.now() < deadline;
  const known = [];

  const record = (r) => {
    const i = r.headers.get('x-instance');
    if (i) stats.byInstance[i] = (stats.byInstance[i] ?? 0) + 1;
  };
  const describe = (e) => (e.status !== undefined ? `${e.status} ${e.text?.slice(0, 200)}` : String(e.cause?.code ?? e.message ?? e));

  async function getWorker(n) {
    let k = 0;
    while (running()) {
      k++;
      const pathName =
        k % 3 === 0 && known.length ? `/api/items/${known[(k * 7 + n) % known.length]}` : k % 3 === 1 ? '/api/instance' : '/api/items?limit=5';
      try {
        const r = await request('GET', pathName);
        stats.gets++;
        record(r);
        if (r.status !== 200) stats.failedGets.push({ at: new Date().toISOString(), path: pathName, error: describe(r) });
      } catch (e) {
        stats.gets++;
        stats.failedGets.push({ at: new Date().toISOString(), path: pathName, error: describe(e) });
      }
      await pace(n, k);
    }
  }

  async function postWorker(n) {
    let k = 0;
    while (running()) {
      k++;
      const name = `${tag}-${process.pid}-${n}-${k}-${randomUUID().slice(0, 8)}`;
      const key = newKey();
      stats.attempted.add(name);
      for (let attempt = 0; ; attempt++) {
        let r;
        try {
          r = await createItem(name, key);
        } catch (e) {
          r = e;
        }
        stats.posts++;
        if (r.status === 201) {
          record(r);
          stats.acknowledged.set(name, r.json);
          known.push(r.json.id);
          break;
        }
        stats.failedPosts.push({ at: new Date().toISOString(), name, attempt, error: describe(r) });
        if (!retryPosts || attempt >= postRetries || Date.now() > deadline + 30_000) break;
        stats.retriedPosts++;
        await delay(100);
      }
      await pace(getWorkers + n, k);
    }
  }

  const workers = [
    ...Array.from({ length: getWorkers }, (_, n) => getWorker(n)),
    ...Array.from({ length: postWorkers }, (_, n) => postWorker(n)),
  ];
  return {
    stats,
    /** Resolves once the load has made at least n more requests. */
    async progress(n, timeoutMs = 30_000) {
      const target = stats.gets + stats.posts + n;
      await waitFor(`${n} more requests`, () => stats.gets + stats.posts >= target, { timeoutMs, intervalMs: 20 });
    },
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return stats;
    },
  };
}

/** Asserts helper: names created more than once among all items. */
export async function duplicateNames(names) {
  const wanted = new Set(names);
  const count = new Map();
  for (const it of await allItems()) {
    if (wanted.has(it.name)) count.set(it.name, (count.get(it.name) ?? 0) + 1);
  }
  return { count, duplicates: [...count].filter(([, c]) => c > 1) };
}
