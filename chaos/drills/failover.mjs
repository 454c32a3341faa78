// Issue 9, point 7: graceful stops and SIGKILLs of one instance at a time under a steady
// mixed load. Promises: no request fails on a graceful stop; no GET fails on a SIGKILL (POSTs
// are repeated by the client with their Idempotency-Key, and none is created twice); a
// started instance gets traffic within 3 s of being ready.
import { INSTANCES, restoreInstances } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { compose, fmtStatus, psql, table, waitReady } from '../lib/stack.mjs';
import { setTimeout as delay } from 'node:timers/promises';

const TRAFFIC_WITHIN_MS = 3_000;
const RATE = Number(process.env.CHAOS_RATE ?? 30);

export async function failover(kind, rounds) {
  await restoreInstances();
  const tag = `chaos-${kind}-${Date.now()}`;
  const load = startLoad({ rate: RATE, postRetries: kind === 'kill' ? 20 : 0, tag });
  const rows = [];
  const broken = [];
  let counted = 0;
  try {
    // Warm-up, not counted: a JVM that has just started answers its first requests slowly.
    await load.answers(RATE * 5);
    counted = load.results.length;
    for (let round = 1; round <= rounds; round++) {
      const victim = INSTANCES[(round - 1) % INSTANCES.length];
      const from = load.results.length;
      const t0 = Date.now();
      if (kind === 'stop') await compose('stop', victim);
      else await compose('kill', '-s', 'KILL', victim);
      const downMs = Date.now() - t0;
      await load.answers(RATE * 2); // two seconds with the other two
      await compose('start', victim);
      const startedAt = Date.now();
      const readyAt = await waitReady(victim);
      let servedAt;
      const deadline = Date.now() + 15_000;
      while (!servedAt && Date.now() < deadline) {
        const r = load.firstFrom(victim, startedAt);
        if (r) servedAt = r.at + r.ms;
        else await delay(20);
      }
      await load.answers(RATE); // and a second with all three again
      const slice = load.results.slice(from);
      const s = summarize(slice);
      const gets = summarize(slice.filter((r) => r.kind !== 'POST'));
      const trafficMs = servedAt === undefined ? undefined : Math.round(Math.max(0, servedAt - readyAt));
      rows.push({
        round,
        instance: victim,
        [kind === 'stop' ? 'stop took' : 'kill took']: `${downMs} ms`,
        requests: s.requests,
        'failures by status': fmtStatus(s.byStatus),
        'failed GETs': gets.failed,
        'max latency': `${s.maxMs} ms`,
        'start→ready': `${readyAt - startedAt} ms`,
        'ready→traffic': trafficMs === undefined ? 'never' : `${trafficMs} ms`,
      });
      if (kind === 'stop' && s.failed) broken.push(`round ${round} (${victim}): ${s.failed} failed requests ${fmtStatus(s.byStatus)}`);
      if (kind === 'kill' && gets.failed) broken.push(`round ${round} (${victim}): ${gets.failed} failed GETs ${fmtStatus(gets.byStatus)}`);
      if (trafficMs === undefined || trafficMs > TRAFFIC_WITHIN_MS)
        broken.push(`round ${round} (${victim}): traffic ${trafficMs === undefined ? 'never came' : `came ${trafficMs} ms`} after ready (promise: ${TRAFFIC_WITHIN_MS} ms)`);
    }
  } finally {
    await load.stop();
  }
  load.results.splice(0, counted);
  const failures = load.results.filter((r) => r.status < 200 || r.status >= 300);
  for (const f of failures.slice(0, 10)) console.log(`  ${new Date(f.at).toISOString()} ${f.kind} ${f.status || f.error} after ${Math.round(f.ms)} ms${f.retried ? ' (retried by the client)' : ''} ${f.text ?? ''}`);

  // Every acknowledged POST exists once; nothing was created twice.
  const { attempted, acknowledged } = load.posts;
  const dup = await psql(`SELECT name, count(*) FROM items WHERE name LIKE '${tag}-%' GROUP BY name HAVING count(*) > 1`);
  const present = new Set((await psql(`SELECT name FROM items WHERE name LIKE '${tag}-%'`)).map((r) => r[0]));
  const missing = [...acknowledged.keys()].filter((n) => !present.has(n));
  if (dup.length) broken.push(`${dup.length} items created more than once: ${dup.slice(0, 3).map((d) => d.join('×')).join(', ')}`);
  if (missing.length) broken.push(`${missing.length} acknowledged items missing`);
  if (kind === 'kill' && acknowledged.size !== attempted.size) broken.push(`${attempted.size - acknowledged.size} POSTs never acknowledged despite client retries`);
  await psql(`DELETE FROM items WHERE name LIKE '${tag}-%'`);

  const all = summarize(load.results);
  rows.push({
    round: 'all',
    instance: '',
    [kind === 'stop' ? 'stop took' : 'kill took']: '',
    requests: all.requests,
    'failures by status': fmtStatus(all.byStatus),
    'failed GETs': summarize(load.results.filter((r) => r.kind !== 'POST')).failed,
    'max latency': `${all.maxMs} ms`,
    'start→ready': '',
    'ready→traffic': '',
  });
  table(`${kind === 'stop' ? 'graceful stop (docker compose stop)' : 'SIGKILL (docker compose kill -s KILL)'}: ${rounds} rounds, ${RATE} req/s; POSTs: ${attempted.size} sent, ${acknowledged.size} acknowledged, ${dup.length} duplicated`, rows);
  return broken;
}
