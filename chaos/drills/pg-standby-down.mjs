// Issue 18, point 2: the cost of the synchronous standby. The standby is stopped for HOLD_S s
// under paced writes (make up HA=1 first). While it is down a COMMIT on the primary waits for
// it; the service's statement_timeout (1 s) cancels the wait, PostgreSQL keeps the row on the
// primary only and warns, and the service must answer 504 "outcome unknown" (or 503 where
// certainly not applied), never 2xx: an acknowledged write must exist on both nodes.
// Promises: writes 2xx before; no write acknowledged while the standby is down, each answered
// within 2 s; reads 2xx throughout; writes 2xx again after it streams again; no acknowledged
// write missing; no write answered 503 applied.
import { setTimeout as delay } from 'node:timers/promises';
import { compose, waitFor } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { fmtStatus, pgRole, pgPrimary, PG_NODES, table } from '../lib/stack.mjs';
import { auditBroken, auditWrites, secs } from '../lib/ha.mjs';

const HOLD_S = Number(process.env.CHAOS_STANDBY_DOWN_S ?? 10);
const BOUND_MS = 2_000;

export async function pgStandbyDown() {
  const broken = [];
  const primary = await pgPrimary();
  const standby = PG_NODES.find((n) => n !== primary);
  if ((await pgRole(standby)) !== 'standby-streaming') throw new Error(`${standby} is not a streaming standby (make db-status; make db-rebuild-standby)`);
  const tag = `chaos-sbd-${Date.now()}`;
  const load = startLoad({ rate: Number(process.env.CHAOS_RATE ?? 30), tag });
  await delay(5_000); // warm-up, not counted
  const from = Date.now();
  await delay(5_000);

  await compose('stop', standby);
  const downAt = Date.now();
  await delay(HOLD_S * 1000);
  const upAt = Date.now();
  await compose('start', standby);
  const streamingAt = await waitFor(`${standby} streaming again`, async () => (await pgRole(standby)) === 'standby-streaming' && Date.now(), { timeoutMs: 120_000, intervalMs: 200 });
  const ackAfter = await waitFor(
    'a write acknowledged after the standby came back',
    () => load.results.find((r) => r.kind === 'POST' && r.status === 201 && r.at >= streamingAt),
    { timeoutMs: 30_000, intervalMs: 50 },
  ).catch(() => undefined);
  await delay(5_000);
  const results = (await load.stop()).filter((r) => r.at >= from);

  const before = results.filter((r) => r.end < downAt);
  const during = results.filter((r) => r.at >= downAt && r.end < upAt);
  const after = results.filter((r) => r.at >= streamingAt);
  const postsDuring = during.filter((r) => r.kind === 'POST');
  const ackedDuring = postsDuring.filter((r) => r.status >= 200 && r.status < 300);
  const slowDuring = postsDuring.filter((r) => r.ms > BOUND_MS);
  const failedReads = results.filter((r) => r.kind.startsWith("GET") && !(r.status >= 200 && r.status < 300));
  const failedBefore = before.filter((r) => !(r.status >= 200 && r.status < 300));
  const failedAfter = after.filter((r) => !(r.status >= 200 && r.status < 300));
  const audit = await auditWrites(results, load.posts, tag, downAt);
  const sum = summarize(results);
  const duringStatus = {};
  for (const r of postsDuring) duringStatus[r.status] = (duringStatus[r.status] ?? 0) + 1;

  if (failedBefore.length) broken.push(`${failedBefore.length} requests failed before the standby stopped`);
  if (ackedDuring.length) broken.push(`${ackedDuring.length} of ${postsDuring.length} writes were acknowledged (2xx) while the standby was down: on one node only`);
  if (postsDuring.some((r) => ![503, 504].includes(r.status) && !(r.status >= 200 && r.status < 300))) broken.push(`writes during the fault answered other than 503/504: ${fmtStatus(duringStatus)}`);
  if (slowDuring.length) broken.push(`${slowDuring.length} writes during the fault took longer than ${BOUND_MS} ms (max ${Math.round(Math.max(...slowDuring.map((r) => r.ms)))} ms)`);
  if (failedReads.length) {
    const st = {};
    for (const r of failedReads) st[`${r.status} ${r.instance ? 'service' : 'nginx'}`] = (st[`${r.status} ${r.instance ? 'service' : 'nginx'}`] ?? 0) + 1;
    broken.push(`${failedReads.length} reads failed (${fmtStatus(st)}; ${failedReads.filter((r) => r.at >= downAt && r.end < upAt).length} of them while the standby was down)`);
  }
  if (failedAfter.length) broken.push(`${failedAfter.length} requests failed after the standby streamed again`);
  if (!ackAfter) broken.push('no write acknowledged within 30 s of the standby streaming again');
  broken.push(...auditBroken(audit));

  table(`pg-standby-down: ${standby} stopped ${HOLD_S} s under load (primary ${primary})`, [
    {
      requests: sum.requests,
      'failures by status': fmtStatus(sum.byStatus),
      'writes during (by status)': fmtStatus(duringStatus),
      'acked before / missing': `${audit.ackedBefore} / ${audit.missingBefore}`,
      'acked total / missing': `${audit.acknowledged} / ${audit.missing}`,
      '503 / applied': `${audit.answered503} / ${audit.applied503}`,
      '504 / applied': `${audit.answered504} / ${audit.applied504}`,
      'max ms': sum.maxMs,
      'start→streaming s': secs(streamingAt - upAt),
      'recover s (start→first 2xx write)': ackAfter ? secs(ackAfter.end - upAt) : '-',
    },
  ]);
  return broken;
}
