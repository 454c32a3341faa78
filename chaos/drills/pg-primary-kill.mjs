// Issue 18, point 2: the PostgreSQL primary is killed (SIGKILL) under paced writes (make up
// HA=1 first), then `make db-failover` fences it and promotes the synchronous standby, then
// `make db-rebuild-standby` re-clones the old primary as the new standby (so the stack is HA
// again for the next drill). The client repeats a failed keyed POST with its key and body, as
// API.md allows. Promises: no write acknowledged before the kill (or at any time) is missing on
// the new primary; no write answered 503 was applied; writes acknowledged again after the
// failover; the old primary never runs again before its re-clone (fenced).
import { setTimeout as delay } from 'node:timers/promises';
import { compose, run, waitFor } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { fmtStatus, pgRole, pgPrimary, PG_NODES, table } from '../lib/stack.mjs';
import { auditBroken, auditWrites, secs } from '../lib/ha.mjs';

export async function pgPrimaryKill() {
  const broken = [];
  const primary = await pgPrimary();
  const standby = PG_NODES.find((n) => n !== primary);
  if ((await pgRole(standby)) !== 'standby-streaming') throw new Error(`${standby} is not a streaming standby (make db-status; make db-rebuild-standby)`);
  const tag = `chaos-ppk-${Date.now()}`;
  // A client that retries for about 20 s (every 100 ms): longer than a failover, so every POST is
  // acknowledged in the end; Nginx answers at once while no instance has a primary.
  const load = startLoad({ rate: Number(process.env.CHAOS_RATE ?? 30), postRetries: 200, tag });
  await delay(5_000); // warm-up, not counted
  const from = Date.now();
  await delay(5_000);

  await compose('kill', '-s', 'KILL', primary);
  const killedAt = Date.now();
  // What an operator's monitoring would take to notice; the failover is then one command.
  const failoverOut = await run('make', ['--no-print-directory', 'db-failover'], { timeoutMs: 300_000 }).catch((e) => {
    broken.push(`make db-failover failed: ${e.message.split('\n').slice(-3).join(' ')}`);
    return '';
  });
  const failedOverAt = Date.now();
  process.stdout.write(failoverOut.replace(/^/gm, '    '));
  const firstAck = await waitFor(
    'a write acknowledged after the kill',
    () => load.results.find((r) => r.kind === 'POST' && r.status === 201 && r.at > killedAt),
    { timeoutMs: 60_000, intervalMs: 50 },
  ).catch(() => undefined);
  await delay(5_000);
  // The fenced node must not be running, whatever Docker's restart policy does.
  const fenced = await pgRole(primary);
  if (fenced !== 'down') broken.push(`the old primary ${primary} runs again (${fenced}) before its re-clone: not fenced`);
  const results = (await load.stop()).filter((r) => r.at >= from);
  const audit = await auditWrites(results, load.posts, tag, killedAt);
  const sum = summarize(results);
  const unacked = [...load.posts.attempted].filter((n) => !load.posts.acknowledged.has(n)).length;

  const rebuildStart = Date.now();
  const rebuildOut = await run('make', ['--no-print-directory', 'db-rebuild-standby'], { timeoutMs: 400_000 }).catch((e) => {
    broken.push(`make db-rebuild-standby failed: ${e.message.split('\n').slice(-3).join(' ')}`);
    return '';
  });
  process.stdout.write(rebuildOut.replace(/^/gm, '    '));
  const rebuildMs = Date.now() - rebuildStart;
  const roles = Object.fromEntries(await Promise.all(PG_NODES.map(async (n) => [n, await pgRole(n)])));
  if (roles[standby] !== 'primary' || roles[primary] !== 'standby-streaming') broken.push(`after the rebuild: ${JSON.stringify(roles)} (expected ${standby} primary, ${primary} streaming)`);

  if (!firstAck) broken.push('no write acknowledged within 60 s of the failover');
  if (unacked) broken.push(`${unacked} keyed POSTs never acknowledged despite retries`);
  broken.push(...auditBroken(audit));

  table(`pg-primary-kill: ${primary} killed under load, make db-failover promoted ${standby}`, [
    {
      requests: sum.requests,
      'failures by status': fmtStatus(sum.byStatus),
      'acked before / missing': `${audit.ackedBefore} / ${audit.missingBefore}`,
      'acked total / missing': `${audit.acknowledged} / ${audit.missing}`,
      '503 / applied': `${audit.answered503} / ${audit.applied503}`,
      '504 / applied': `${audit.answered504} / ${audit.applied504}`,
      'make db-failover s': secs(failedOverAt - killedAt),
      'kill→first acked write s': firstAck ? secs(firstAck.end - killedAt) : '-',
      'rebuild s': secs(rebuildMs),
    },
  ]);
  return broken;
}
