// Issue 9, point 1: a write answered with an error is never applied later. psql holds
// `LOCK TABLE items IN ACCESS EXCLUSIVE MODE` for 9 s while PUTs (with and without If-Match),
// DELETEs and POSTs (with and without Idempotency-Key) go through Nginx. Promises: each one
// answers 503 within 2 s; no backend still waits on a lock once every client has its answer;
// after the release none of them was applied.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { request, waitFor } from '../../e2e/lib/stack.mjs';
import { fmtStatus, psql, table } from '../lib/stack.mjs';
import { containerId, run } from '../../e2e/lib/stack.mjs';

const BOUND_MS = 2_000;
const HOLD_S = 9;

export async function pgLock() {
  const tag = `chaos-lock-${Date.now()}`;
  const broken = [];
  const make = async (n, what) => {
    const ids = [];
    for (let i = 0; i < n; i++) {
      const r = await request('POST', '/api/items', { body: { name: `${tag}-${what}-${i}`, quantity: 1 } });
      if (r.status !== 201) throw new Error(`could not create the drill's items: POST answered ${r.status} ${r.text.slice(0, 200)}`);
      ids.push(r.json.id);
    }
    return ids;
  };
  const putIfMatch = await make(4, 'put-if-match');
  const putPlain = await make(4, 'put');
  const deleted = await make(3, 'delete');
  const before = new Map((await psql(`SELECT id, version FROM items WHERE name LIKE '${tag}-%'`)).map(([id, v]) => [id, v]));

  // The lock holder, exactly as in the issue, in the postgres container as its superuser.
  const pg = await containerId('postgres');
  const sql = `BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${HOLD_S}); COMMIT;`;
  const holder = run('docker', ['exec', pg, 'sh', '-c', 'exec psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "${POSTGRES_DB:-$POSTGRES_USER}" -c "$1"', 'psql', sql], {
    timeoutMs: (HOLD_S + 30) * 1000,
  });
  holder.catch(() => {});
  await waitFor(
    'the ACCESS EXCLUSIVE lock on items',
    async () =>
      (await psql(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'items' AND l.mode = 'AccessExclusiveLock' AND l.granted`))[0][0] === '1',
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const lockedAt = Date.now();

  const body = (what) => ({ name: `${tag}-${what}-${randomUUID().slice(0, 8)}`, description: 'must never be stored', quantity: 7 });
  const writes = [
    ...putIfMatch.map((id) => ['PUT If-Match', () => request('PUT', `/api/items/${id}`, { body: body('changed'), headers: { 'if-match': '"1"' } })]),
    ...putPlain.map((id) => ['PUT', () => request('PUT', `/api/items/${id}`, { body: body('changed') })]),
    ...deleted.map((id) => ['DELETE', () => request('DELETE', `/api/items/${id}`)]),
    ...[1, 2, 3].map(() => ['POST keyed', () => request('POST', '/api/items', { body: body('new'), headers: { 'idempotency-key': `chaos-${randomUUID()}` } })]),
    ...[1, 2, 3].map(() => ['POST', () => request('POST', '/api/items', { body: body('new') })]),
  ];
  const answers = await Promise.all(
    writes.map(async ([kind, send]) => {
      try {
        return { kind, ...(await send()) };
      } catch (e) {
        return { kind, status: 0, ms: NaN, text: String(e.cause?.code ?? e.message) };
      }
    }),
  );
  const answeredAt = Date.now();
  // Right after the last answer: a backend still waiting would apply its write at the release.
  const waiting = await psql(`SELECT pid, left(query, 60) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`);
  const stillLocked = answeredAt - lockedAt < HOLD_S * 1000;

  await holder.catch((e) => broken.push(`the lock holder failed: ${e.message.split('\n')[0]}`));
  const releasedAt = Date.now();
  // What the release let through: give any queued statement time to commit, then look.
  await delay(1_000);
  const after = new Map((await psql(`SELECT id, version FROM items WHERE name LIKE '${tag}-%'`)).map(([id, v]) => [id, v]));
  const changed = [...before].filter(([id, v]) => after.has(id) && after.get(id) !== v).map(([id]) => id);
  const gone = [...before.keys()].filter((id) => !after.has(id));
  const created = [...after.keys()].filter((id) => !before.has(id));
  // A write goes through again once the lock is gone (time to recover).
  let recoverMs;
  await waitFor('a write after the release', async () => {
    const r = await request('PUT', `/api/items/${putPlain[0]}`, { body: { name: `${tag}-after`, quantity: 2 } });
    if (r.status === 200) recoverMs = Date.now() - releasedAt;
    return r.status === 200;
  }, { timeoutMs: 20_000, intervalMs: 200 }).catch(() => broken.push('no write succeeded within 20 s of the release'));
  await psql(`DELETE FROM items WHERE name LIKE '${tag}-%'`);

  const rows = [];
  for (const kind of [...new Set(answers.map((a) => a.kind))]) {
    const mine = answers.filter((a) => a.kind === kind);
    const byStatus = {};
    for (const a of mine) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    const late = mine.filter((a) => !(a.ms <= BOUND_MS));
    rows.push({
      request: kind,
      sent: mine.length,
      'answers by status': fmtStatus(byStatus),
      'over 2 s': late.length,
      'max latency': `${Math.round(Math.max(...mine.map((a) => a.ms)))} ms`,
    });
    const not503 = mine.filter((a) => a.status !== 503);
    if (not503.length) broken.push(`${kind}: ${not503.length} of ${mine.length} answered ${not503.map((a) => a.status).join(', ')} instead of 503`);
    if (late.length) broken.push(`${kind}: ${late.length} of ${mine.length} took longer than 2 s (${late.map((a) => Math.round(a.ms)).join(', ')} ms)`);
  }
  table(`PostgreSQL lock held ${HOLD_S} s (LOCK TABLE items IN ACCESS EXCLUSIVE MODE)`, rows);
  table('after the release', [
    {
      'backends waiting on a lock after the answers': stillLocked ? waiting.length : 'n/a (the lock was already gone)',
      'PUTs applied': changed.length,
      'DELETEs applied': gone.length,
      'POSTs applied': created.length,
      'time to recover': recoverMs === undefined ? 'never' : `${recoverMs} ms after the release`,
    },
  ]);
  if (!stillLocked) broken.push('the answers took longer than the lock was held: the drill cannot tell whether backends kept waiting');
  if (stillLocked && waiting.length) broken.push(`${waiting.length} backends still waited on a lock after every client had its answer`);
  if (changed.length) broken.push(`${changed.length} PUTs answered with an error were applied after the release (versions ${changed.map((id) => `${before.get(id)}→${after.get(id)}`).join(', ')})`);
  if (gone.length) broken.push(`${gone.length} DELETEs answered with an error were applied after the release`);
  if (created.length) broken.push(`${created.length} POSTs answered with an error were applied after the release`);
  return broken;
}
