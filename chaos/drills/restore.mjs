// Issue 19, point 5: the restore drill (make chaos CHAOS_DRILLS=restore; e2e/14-restore.test.mjs
// runs the same). A point-in-time restore, then the loss of the PostgreSQL volume:
//   create A; make backup; create B; note T; create C, update some of A, delete some of B (with
//   the updated ones read through the cache first); make restore AT=T: exactly A and B exist,
//   with the versions they had at T, C does not, and every read through :9999 agrees with
//   PostgreSQL (the cache included: the fence was bumped). Then writers run, the PostgreSQL
//   container is killed and its volume removed, make restore: every write acknowledged more than
//   RPO_MS before the loss is back. Resolves with { broken, numbers }.
import { randomUUID } from 'node:crypto';
import { compose, request, run, ROOT, waitAllServing } from '../../e2e/lib/stack.mjs';
import { psql, table } from '../lib/stack.mjs';

/** The RPO the README states: a write acknowledged longer ago than this survives the volume's loss. */
export const RPO_MS = 1_000;

/** compose/backup.sh as the Makefile runs it; resolves with stdout and the seconds it took. */
export async function backupSh(...args) {
  const started = performance.now();
  const out = await run('bash', [`${ROOT}/compose/backup.sh`, ...args], { timeoutMs: 1_800_000 });
  return { out, seconds: (performance.now() - started) / 1000 };
}

async function create(tag, what, n) {
  const items = [];
  for (let i = 0; i < n; i++) {
    const r = await request('POST', '/api/items', { body: { name: `${tag}-${what}-${i}`, quantity: i }, headers: { 'idempotency-key': `${tag}-${what}-${i}` } });
    if (r.status !== 201) throw new Error(`POST answered ${r.status} ${r.text.slice(0, 200)}`);
    items.push(r.json);
  }
  return items;
}

/** Every item of the tag, through :9999 (list pages and each item by id) and in PostgreSQL. */
async function views(tag) {
  const db = new Map((await psql(`SELECT id, version, name FROM items WHERE name LIKE '${tag}-%' ORDER BY id`)).map(([id, v, name]) => [Number(id), { version: Number(v), name }]));
  const listed = new Map();
  let after = 0;
  for (;;) {
    const r = await request('GET', `/api/items?limit=200&after=${after}`);
    if (r.status !== 200) throw new Error(`GET /api/items answered ${r.status}`);
    for (const it of r.json.items) if (it.name.startsWith(`${tag}-`)) listed.set(it.id, { version: it.version, name: it.name });
    if (r.json.next === null) break;
    after = r.json.next;
  }
  return { db, listed };
}

export async function restoreDrill({ writersMs = 4_000 } = {}) {
  const broken = [];
  const numbers = {};
  const tag = `restore-${randomUUID().slice(0, 8)}`;

  // ---- point in time -----------------------------------------------------------------------
  const a = await create(tag, 'A', 6);
  const backup = await backupSh('backup');
  numbers.baseBackup = backup.out.match(/size:\s+(\d+)/)?.[1];
  const b = await create(tag, 'B', 6);
  const at = new Date().toISOString();
  const c = await create(tag, 'C', 4);
  const updated = a.slice(0, 3);
  for (const it of updated) {
    const r = await request('PUT', `/api/items/${it.id}`, { body: { name: it.name, quantity: 99 } });
    if (r.status !== 200) throw new Error(`PUT answered ${r.status}`);
    // Read twice: the second read is served from Redis, the copy a restore must not serve.
    await request('GET', `/api/items/${it.id}`);
    await request('GET', `/api/items/${it.id}`);
  }
  const deleted = b.slice(0, 3);
  for (const it of deleted) {
    const r = await request('DELETE', `/api/items/${it.id}`);
    if (r.status !== 204) throw new Error(`DELETE answered ${r.status}`);
    await request('GET', `/api/items/${it.id}`);
  }

  const pitr = await backupSh('restore', at);
  numbers.pitrSeconds = pitr.seconds.toFixed(1);
  numbers.pitrReported = pitr.out.match(/Restore took ([\d.]+) s/)?.[1];
  await waitAllServing();

  const want = new Map([...a, ...b].map((it) => [it.id, { version: 1, name: it.name }]));
  const { db, listed } = await views(tag);
  const same = (x, y) => x.size === y.size && [...x].every(([id, v]) => y.get(id)?.version === v.version && y.get(id)?.name === v.name);
  if (!same(db, want)) broken.push(`after restore AT=${at} PostgreSQL holds ${JSON.stringify([...db])}, not exactly A and B at version 1`);
  if (!same(listed, db)) broken.push(`after the restore the list through :9999 (${listed.size} items) disagrees with PostgreSQL (${db.size})`);
  for (const it of c) if (db.has(it.id) || listed.has(it.id)) broken.push(`C item ${it.id} (created after T) exists after the restore`);
  // Each item by id, three times (web1-web3 behind Nginx, the cache filled by the first):
  // an item read from a Redis copy older than the restore would show version 2 or a 404.
  for (const [id, v] of want) {
    for (let k = 0; k < 3; k++) {
      const r = await request('GET', `/api/items/${id}`);
      if (r.status !== 200 || r.json.version !== v.version) broken.push(`GET /api/items/${id} answered ${r.status} version ${r.json?.version} (${r.headers.get('x-cache')}), PostgreSQL has version ${v.version}`);
    }
  }
  for (const it of c) {
    const r = await request('GET', `/api/items/${it.id}`);
    if (r.status !== 404) broken.push(`GET of C item ${it.id} answered ${r.status}, not 404`);
  }

  // ---- volume loss -----------------------------------------------------------------------
  const acked = []; // { name, at }
  let stop = false;
  const writer = async (w) => {
    for (let k = 0; !stop; k++) {
      const name = `${tag}-W-${w}-${k}`;
      try {
        const r = await request('POST', '/api/items', { body: { name }, timeoutMs: 5_000 });
        if (r.status === 201) acked.push({ name, at: Date.now() });
      } catch {
        // Refused or cut off by the loss: not acknowledged, not counted.
      }
    }
  };
  const writers = [writer(0), writer(1)];
  await new Promise((r) => setTimeout(r, writersMs));
  const lostAt = Date.now();
  await compose('kill', 'postgres');
  stop = true;
  await Promise.all(writers);
  await compose('rm', '-f', '-s', 'postgres');
  await run('docker', ['volume', 'rm', 'triad_pgdata']);

  const full = await backupSh('restore');
  numbers.volumeLossSeconds = full.seconds.toFixed(1);
  numbers.volumeLossReported = full.out.match(/Restore took ([\d.]+) s/)?.[1];
  await waitAllServing();
  const back = new Set((await psql(`SELECT name FROM items WHERE name LIKE '${tag}-W-%'`)).map(([n]) => n));
  const missing = acked.filter((w) => !back.has(w.name));
  numbers.acknowledged = acked.length;
  numbers.missing = missing.length;
  // The RPO seen: the oldest acknowledged write that did not come back, before the loss.
  numbers.lostWindowMs = missing.length ? Math.max(...missing.map((w) => lostAt - w.at)) : 0;
  for (const w of missing.filter((m) => lostAt - m.at > RPO_MS)) broken.push(`write ${w.name}, acknowledged ${lostAt - w.at} ms before the loss, is missing after make restore`);
  const after = await views(tag);
  if (!same(after.listed, after.db)) broken.push('after the volume-loss restore the list through :9999 disagrees with PostgreSQL');
  for (const [id, v] of want) if (after.db.get(id)?.version !== v.version) broken.push(`item ${id} of A/B is not back at version ${v.version} after the volume-loss restore`);

  table('restore drill', [numbers]);
  return { broken, numbers };
}
