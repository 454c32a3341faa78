// Issue 18, point 6: PostgreSQL frozen for 10 s (`docker pause`: the process stops, its TCP
// connections stay open and unanswered) under the paced load. Promises: every answer within
// 2 s (a 503 "not applied" or a 504 "outcome unknown" while it is frozen), no acknowledged
// write missing afterwards, no write answered 503 applied, every instance writing again soon
// after the thaw (reported).
import { setTimeout as delay } from 'node:timers/promises';
import { containerId, request, run, waitFor } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { fmtStatus, table } from '../lib/stack.mjs';
import { checkWrites, writeVerdicts } from '../lib/writes.mjs';

const FREEZE_S = 10;
const BOUND_MS = 2_000;

export async function pgFreeze() {
  const broken = [];
  const tag = `chaos-freeze-${Date.now()}`;
  const load = startLoad({ rate: Number(process.env.CHAOS_RATE ?? 60), tag });
  await load.answers(120);
  const pg = await containerId('postgres');
  const frozenAt = Date.now();
  await run('docker', ['pause', pg]);
  let thawedAt;
  try {
    await delay(FREEZE_S * 1000);
  } finally {
    await run('docker', ['unpause', pg]);
    thawedAt = Date.now();
  }
  // Recovered: a write succeeds again through each instance (the load spreads over all three).
  const wroteAgain = new Set();
  await waitFor('every instance writing again', async () => {
    const r = await request('POST', '/api/items', { body: { name: `${tag}-probe`, quantity: 1 } });
    if (r.status === 201) wroteAgain.add(r.headers.get('x-instance'));
    return wroteAgain.size === 3;
  }, { timeoutMs: 30_000, intervalMs: 20 }).catch(() => broken.push(`only ${[...wroteAgain].join(', ') || 'no instance'} wrote again within 30 s of the thaw`));
  const recoveredMs = Date.now() - thawedAt;
  await load.answers(60);
  const results = await load.stop();
  const during = results.filter((r) => r.at >= frozenAt && r.at < thawedAt);
  const slow = results.filter((r) => r.kind !== 'skipped' && r.ms > BOUND_MS);
  const other = results.filter((r) => r.status !== -1 && !(r.status >= 200 && r.status < 300) && r.status !== 503 && r.status !== 504);
  const w = await checkWrites(load, tag);
  const s = summarize(results);
  table(`PostgreSQL frozen ${FREEZE_S} s (docker pause) under ${process.env.CHAOS_RATE ?? 60} req/s`, [{
    requests: s.requests,
    'during the freeze': during.length,
    'failures by status': fmtStatus(s.byStatus),
    'over 2 s': slow.length,
    'max latency': `${s.maxMs} ms`,
    'acknowledged writes missing': w.missing.length,
    'answered 503 and applied': w.applied503.length,
    'answered 504 (applied of them)': `${w.unknown} (${w.unknownApplied})`,
    'every instance writing again': `${(recoveredMs / 1000).toFixed(1)} s after the thaw`,
  }]);
  broken.push(...writeVerdicts(w));
  if (slow.length) broken.push(`${slow.length} answers took longer than 2 s (max ${s.maxMs} ms)`);
  if (other.length) broken.push(`${other.length} answers were neither 2xx, 503 nor 504: ${fmtStatus(Object.fromEntries(other.map((r) => [r.status, other.filter((o) => o.status === r.status).length])))}`);
  return broken;
}
