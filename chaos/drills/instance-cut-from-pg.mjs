// Issue 18, points 5 and 6: one instance cut off from PostgreSQL for 12 s (iptables DROP inside
// that container's network namespace, run from the host as root; the rules are always removed)
// under the paced load. Promises: 0 failed GETs and 0 failed keyed POSTs (Nginx passes them to
// another instance), no write answered 503 applied, no acknowledged write missing; the cut
// instance reports not ready within 2 s of the cut and ready within 2 s of the repair.
import { setTimeout as delay } from 'node:timers/promises';
import { containerId, inspect, run, waitFor } from '../../e2e/lib/stack.mjs';
import { startLoad, summarize } from '../lib/load.mjs';
import { fmtStatus, table } from '../lib/stack.mjs';
import { checkWrites, writeVerdicts } from '../lib/writes.mjs';

const CUT_S = 12;
const VICTIM = process.env.CHAOS_CUT_INSTANCE ?? 'web2';
const BOUND_MS = 2_000;

/** The PostgreSQL addresses the victim may reach (every postgres* container on its networks). */
async function postgresAddresses() {
  const ids = (await run('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project=triad'])).trim().split('\n').filter(Boolean);
  const addresses = [];
  for (const c of JSON.parse(await run('docker', ['inspect', ...ids]))) {
    if (!/^postgres/.test(c.Config.Labels['com.docker.compose.service'] ?? '')) continue;
    for (const n of Object.values(c.NetworkSettings.Networks)) if (n.IPAddress) addresses.push(n.IPAddress);
  }
  return addresses;
}

const ready = async (id) => {
  try {
    await run('docker', ['exec', id, 'curl', '-fsS', '-m', '1', '-o', '/dev/null', 'http://localhost:8081/health/ready'], { timeoutMs: 5_000 });
    return true;
  } catch {
    return false;
  }
};

export async function instanceCutFromPg() {
  const broken = [];
  const tag = `chaos-cut-${Date.now()}`;
  const victim = await inspect(VICTIM);
  const pid = String(victim.State.Pid);
  const id = await containerId(VICTIM);
  const targets = await postgresAddresses();
  if (!targets.length) return ['no PostgreSQL container found to cut the instance off from'];
  const rules = targets.flatMap((ip) => [['OUTPUT', '-d', ip], ['INPUT', '-s', ip]]);
  const iptables = (op, [chain, dir, ip]) => run('nsenter', ['-t', pid, '-n', 'iptables', op, chain, dir, ip, '-j', 'DROP']);

  const load = startLoad({ rate: Number(process.env.CHAOS_RATE ?? 60), tag });
  await load.answers(120);
  let cutAt;
  let repairedAt;
  let downMs;
  let upMs;
  try {
    for (const r of rules) await iptables('-A', r);
    cutAt = Date.now();
    await waitFor(`${VICTIM} not ready`, async () => !(await ready(id)), { timeoutMs: 10_000, intervalMs: 50 });
    downMs = Date.now() - cutAt;
    await delay(Math.max(0, CUT_S * 1000 - (Date.now() - cutAt)));
  } finally {
    for (const r of rules) await iptables('-D', r).catch((e) => broken.push(`could not remove the rule ${r.join(' ')}: ${e.message.split('\n')[0]}`));
    repairedAt = Date.now();
  }
  await waitFor(`${VICTIM} ready again`, () => ready(id), { timeoutMs: 30_000, intervalMs: 50 })
    .then(() => { upMs = Date.now() - repairedAt; })
    .catch(() => broken.push(`${VICTIM} not ready within 30 s of the repair`));
  await load.answers(120);
  const results = await load.stop();
  const gets = results.filter((r) => r.kind.startsWith('GET'));
  const posts = results.filter((r) => r.kind === 'POST');
  const failedGets = gets.filter((r) => !(r.status >= 200 && r.status < 300));
  const failedPosts = posts.filter((r) => r.status !== 201);
  const slow = results.filter((r) => r.kind !== 'skipped' && r.ms > BOUND_MS);
  const fromVictim = results.filter((r) => r.at >= cutAt && r.at < repairedAt && r.instance === VICTIM && r.kind !== 'GET instance').length;
  const w = await checkWrites(load, tag);
  const s = summarize(results);
  table(`${VICTIM} cut off from PostgreSQL ${CUT_S} s (iptables DROP in its network namespace)`, [{
    requests: s.requests,
    'failures by status': fmtStatus(s.byStatus),
    'failed GETs': failedGets.length,
    'failed keyed POSTs': failedPosts.length,
    'item calls it answered while cut': fromVictim,
    'over 2 s': slow.length,
    'max latency': `${s.maxMs} ms`,
    'acknowledged writes missing': w.missing.length,
    'answered 503 and applied': w.applied503.length,
    'not ready after': downMs === undefined ? 'never' : `${(downMs / 1000).toFixed(1)} s`,
    'ready again after': upMs === undefined ? 'never' : `${(upMs / 1000).toFixed(1)} s`,
  }]);
  broken.push(...writeVerdicts(w));
  if (failedGets.length) broken.push(`${failedGets.length} GETs failed: ${fmtStatus(summarize(failedGets).byStatus)}`);
  if (failedPosts.length) broken.push(`${failedPosts.length} keyed POSTs failed: ${fmtStatus(summarize(failedPosts).byStatus)}`);
  if (downMs === undefined || downMs > 2_000) broken.push(`${VICTIM} reported not ready ${downMs === undefined ? 'never' : `${downMs} ms`} after the cut (limit 2 s)`);
  if (upMs === undefined || upMs > 2_000) broken.push(`${VICTIM} reported ready ${upMs === undefined ? 'never' : `${upMs} ms`} after the repair (limit 2 s)`);
  return broken;
}
