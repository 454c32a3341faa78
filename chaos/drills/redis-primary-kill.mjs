// Issue 18, point 1: the Redis primary is killed (SIGKILL) under paced load (make up HA=1
// first); the Sentinels promote the replica. Around the kill an item that every instance has
// cached is updated (PUT, 200), then read through Nginx. Promises: no request fails; no read
// returns an ETag older than the acknowledged write; a cache HIT of the current version within
// 15 s of the promotion. The killed node is started again afterwards and must come back as a
// replica of the new primary (Sentinel converts it), so the stack is HA again.
import { setTimeout as delay } from 'node:timers/promises';
import { compose, request, waitFor } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { fmtStatus, table } from '../lib/stack.mjs';
import { auditBroken, auditWrites, nodeCli, redisPrimary, secs } from '../lib/ha.mjs';

const HIT_BOUND_MS = 15_000;
const version = (r) => Number((r.headers.get('etag') ?? '').replace(/^W\//, '').replaceAll('"', ''));

export async function redisPrimaryKill() {
  const broken = [];
  const primary = await redisPrimary();
  if (!primary) throw new Error('the sentinels agree on no Redis primary');
  const replica = primary === 'redis' ? 'redis-replica' : 'redis';
  const tag = `chaos-rpk-${Date.now()}`;
  const created = await request('POST', '/api/items', { body: { name: `${tag}-probe`, quantity: 1 } });
  if (created.status !== 201) throw new Error(`could not create the probe item: ${created.status} ${created.text.slice(0, 200)}`);
  const id = created.json.id;
  const hit = new Set();
  await waitFor('the probe item cached on every instance', async () => {
    const r = await request('GET', `/api/items/${id}`);
    if (r.status === 200 && r.headers.get('x-cache') === 'HIT') hit.add(r.headers.get('x-instance'));
    return hit.size === 3;
  }, { timeoutMs: 30_000, intervalMs: 20 });

  const load = startLoad({ rate: Number(process.env.CHAOS_RATE ?? 30), tag });
  await delay(5_000); // warm-up, not counted
  const from = Date.now();
  await delay(3_000);

  await compose('kill', '-s', 'KILL', primary);
  const killedAt = Date.now();
  const put = await request('PUT', `/api/items/${id}`, { body: { name: `${tag}-probe`, quantity: 2 } });
  const acked = put.status === 200 ? version(put) : undefined;
  if (acked === undefined) broken.push(`the PUT right after the kill answered ${put.status} ${put.text.slice(0, 120)}`);
  const promotedAt = await waitFor('the sentinels to promote the replica', async () => (await redisPrimary()) === replica && Date.now(), {
    timeoutMs: 60_000,
    intervalMs: 100,
  }).catch(() => undefined);
  if (!promotedAt) broken.push(`${replica} was not promoted within 60 s`);

  // Reads of the probe through Nginx until a current HIT (bounded), every answer checked.
  let stale = 0;
  let reads = 0;
  let hitAt;
  const readUntil = (promotedAt ?? killedAt) + HIT_BOUND_MS + 5_000;
  while (Date.now() < readUntil) {
    const r = await request('GET', `/api/items/${id}`).catch(() => undefined);
    reads++;
    if (r?.status === 200 && acked !== undefined && version(r) < acked) stale++;
    if (r?.status === 200 && r.headers.get('x-cache') === 'HIT' && version(r) === acked && hitAt === undefined) hitAt = Date.now();
    if (hitAt && Date.now() - hitAt > 3_000) break;
    await delay(20);
  }
  const results = (await load.stop()).filter((r) => r.at >= from);

  // The killed node back: Sentinel must turn it into a replica of the new primary.
  await compose('up', '-d', '--no-deps', primary);
  const rejoinedAt = await waitFor(
    `${primary} a replica of ${replica} again`,
    async () => /role:slave/.test(await nodeCli(primary, 'INFO', 'replication')) && /master_link_status:up/.test(await nodeCli(primary, 'INFO', 'replication')) && Date.now(),
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch(() => undefined);
  if (!rejoinedAt) broken.push(`${primary} did not become a replica of ${replica} within 60 s of its restart`);

  const audit = await auditWrites(results, load.posts, tag, killedAt);
  const sum = summarize(results);
  if (sum.failed) broken.push(`${sum.failed} requests failed: ${fmtStatus(sum.byStatus)}`);
  if (stale) broken.push(`${stale} stale reads (ETag older than the acknowledged ${acked})`);
  if (promotedAt && (!hitAt || hitAt - promotedAt > HIT_BOUND_MS)) broken.push(`no cache HIT of the current version within ${HIT_BOUND_MS / 1000} s of the promotion`);
  broken.push(...auditBroken(audit));

  table(`redis-primary-kill: ${primary} killed under load, sentinels promoted ${replica}`, [
    {
      requests: sum.requests,
      'failures by status': fmtStatus(sum.byStatus),
      'probe reads / stale': `${reads} / ${stale}`,
      'acked before / missing': `${audit.ackedBefore} / ${audit.missingBefore}`,
      '503 / applied': `${audit.answered503} / ${audit.applied503}`,
      'kill→promotion s': promotedAt ? secs(promotedAt - killedAt) : '-',
      'promotion→current HIT s': hitAt && promotedAt ? secs(hitAt - promotedAt) : '-',
      'old primary a replica again s (after its start)': rejoinedAt ? secs(rejoinedAt - (promotedAt ?? killedAt)) : '-',
      'max ms': sum.maxMs,
    },
  ]);
  return broken;
}
