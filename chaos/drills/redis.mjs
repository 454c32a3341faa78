// Issue 9, point 2: no read after an acknowledged write returns older data, on any instance,
// through Redis faults. For each fault: an item is read through every instance until each one
// has it cached, the fault strikes around a PUT, and once the PUT is acknowledged (200 and its
// ETag) reads go through Nginx to all three instances (X-Instance says which one answered);
// any ETag older than the acknowledged one is a stale read.
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCES, compose, containerId, inspect, request, run, waitFor } from '../../e2e/lib/stack.mjs';
import { psql, redisCli, table } from '../lib/stack.mjs';

const TRIALS = Number(process.env.CHAOS_REDIS_TRIALS ?? 3);
const READ_MS = 3_000; // reads after each acknowledged write
const version = (r) => Number((r.headers.get('etag') ?? '').replace(/^W\//, '').replaceAll('"', ''));

async function redisHealthy() {
  await waitFor('redis healthy', async () => (await inspect('redis')).State.Health?.Status === 'healthy', { timeoutMs: 60_000, intervalMs: 200 });
  await waitFor('redis answering', async () => (await redisCli('PING')).includes('PONG'), { timeoutMs: 30_000, intervalMs: 200 });
}

/** Reads the item through Nginx until every instance has answered X-Cache: HIT. */
async function warm(id) {
  const hit = new Set();
  await waitFor(`item ${id} cached on every instance`, async () => {
    const r = await request('GET', `/api/items/${id}`);
    if (r.status === 200 && r.headers.get('x-cache') === 'HIT') hit.add(r.headers.get('x-instance'));
    return INSTANCES.every((i) => hit.has(i));
  }, { timeoutMs: 20_000, intervalMs: 10 });
}

/** Reads for `ms` in three parallel loops; every answer is checked against `acked`. */
async function readAll(id, acked, ms, out) {
  const until = Date.now() + ms;
  await Promise.all(
    [0, 1, 2].map(async () => {
      while (Date.now() < until) {
        let r;
        try {
          r = await request('GET', `/api/items/${id}`, { timeoutMs: 10_000 });
        } catch (e) {
          out.errors++;
          continue;
        }
        out.reads++;
        out.maxMs = Math.max(out.maxMs, r.ms);
        if (r.status !== 200) {
          out.errors++;
          continue;
        }
        const inst = r.headers.get('x-instance');
        const cache = r.headers.get('x-cache');
        if (version(r) < acked) {
          out.stale++;
          out.staleBy[`${inst} ${cache}`] = (out.staleBy[`${inst} ${cache}`] ?? 0) + 1;
        } else if (cache === 'HIT' && out.recoveredAt === undefined) {
          out.recoveredAt = Date.now();
        }
      }
    }),
  );
}

async function put(id, n) {
  const r = await request('PUT', `/api/items/${id}`, { body: { name: `chaos-redis-${id}`, description: `write ${n}`, quantity: n }, timeoutMs: 15_000 });
  return r.status === 200 ? version(r) : undefined;
}

const FAULTS = {
  'CLIENT KILL TYPE normal': async ({ id, n }) => {
    await redisCli('CLIENT', 'KILL', 'TYPE', 'normal');
    return put(id, n);
  },
  'Redis restart (write while it is down)': async ({ id, n }) => {
    await compose('stop', 'redis');
    const v = await put(id, n);
    await compose('start', 'redis');
    await redisHealthy();
    return v;
  },
  'Redis back with an older copy of its data': async ({ id, n }, reads) => {
    const rd = await containerId('redis');
    await delay(1_100); // appendfsync everysec: the cached entry is on disk
    await run('docker', ['exec', rd, 'sh', '-c', 'rm -rf /data/chaos-aof-copy && cp -a /data/appendonlydir /data/chaos-aof-copy']);
    const v = await put(id, n);
    if (v !== undefined) await readAll(id, v, 1_000, reads); // fresh before the restore
    const c = await inspect('redis');
    const volume = c.Mounts.find((m) => m.Destination === '/data').Name;
    await compose('stop', 'redis');
    await run('docker', ['run', '--rm', '--user', '0', '--network', 'none', '-v', `${volume}:/data`, '--entrypoint', 'sh', c.Config.Image, '-c',
      'rm -rf /data/appendonlydir && mv /data/chaos-aof-copy /data/appendonlydir']);
    await compose('start', 'redis');
    await redisHealthy();
    return v;
  },
  'CLIENT PAUSE 3000': async ({ id, n }) => {
    await redisCli('CLIENT', 'PAUSE', '3000');
    return put(id, n);
  },
  // Redis stalled for 2 s during the write (what DEBUG SLEEP 2 did, with DEBUG now refused:
  // compose/redis.sh): the process is frozen, its connections stay open and unanswered, new ones
  // are accepted by the kernel and wait. The PUT starts 100 ms into the stall.
  'Redis frozen 2 s (docker pause)': async ({ id, n }) => {
    const rd = await containerId('redis');
    await run('docker', ['pause', rd]);
    try {
      const frozen = delay(2_000);
      await delay(100);
      const v = await put(id, n);
      await frozen;
      return v;
    } finally {
      await run('docker', ['unpause', rd]);
    }
  },
};

export async function redisFaults() {
  const broken = [];
  const rows = [];
  const ids = [];
  for (const [fault, strike] of Object.entries(FAULTS)) {
    const reads = { reads: 0, stale: 0, errors: 0, maxMs: 0, staleBy: {} };
    let acked = 0;
    let recoverSum = 0;
    let recovered = 0;
    for (let trial = 1; trial <= TRIALS; trial++) {
      const created = await request('POST', '/api/items', { body: { name: `chaos-redis-${Date.now()}`, quantity: 0 } });
      if (created.status !== 201) throw new Error(`POST answered ${created.status}: ${created.text.slice(0, 200)}`);
      const id = created.json.id;
      ids.push(id);
      await warm(id);
      const struckAt = Date.now();
      const v = await strike({ id, n: trial }, reads);
      if (v === undefined) continue; // not acknowledged: nothing was promised
      acked++;
      reads.recoveredAt = undefined;
      await readAll(id, v, READ_MS, reads);
      if (reads.recoveredAt !== undefined) {
        recoverSum += reads.recoveredAt - struckAt;
        recovered++;
      }
    }
    rows.push({
      fault,
      trials: TRIALS,
      'acknowledged writes': acked,
      reads: reads.reads,
      'stale reads': reads.stale,
      'stale by instance and X-Cache': Object.entries(reads.staleBy).map(([k, c]) => `${k}:${c}`).join(' ') || '-',
      'max latency': `${Math.round(reads.maxMs)} ms`,
      'time to recover': recovered ? `${Math.round(recoverSum / recovered)} ms (mean, to a current HIT)` : 'no HIT seen',
    });
    if (reads.stale) broken.push(`${fault}: ${reads.stale} of ${reads.reads} reads returned an older version than an acknowledged write`);
    if (!acked) broken.push(`${fault}: no write was acknowledged, so nothing was tested`);
  }
  await redisHealthy();
  if (ids.length) await psql(`DELETE FROM items WHERE id IN (${ids.join(',')})`);
  table(`Redis faults: ${TRIALS} trials each, reads for ${READ_MS} ms after each acknowledged write (Redis full: not drilled)`, rows);
  return broken;
}
