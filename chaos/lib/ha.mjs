// What the data-tier drills (issue 18; the HA profile and the plain stack) share: the audit of the writes against
// PostgreSQL itself (the current primary, through docker exec psql) and the Sentinel's view of
// the Redis primary.
import { compose, run } from '../../e2e/lib/stack.mjs';
import { psql } from './stack.mjs';

/**
 * The promises on writes, checked against the primary after the drill:
 *  - every POST acknowledged (2xx) exists; those acknowledged before `faultAt` are counted apart
 *  - no POST whose last answer was 503 ("not applied") exists
 *  - POSTs answered 504 ("outcome unknown"): counted, applied or not (either is allowed)
 */
export async function auditWrites(results, posts, tag, faultAt) {
  const stored = new Set((await psql(`SELECT name FROM items WHERE name LIKE '${tag}-%'`)).map(([n]) => n));
  const acked = [...posts.acknowledged.keys()];
  const ackedBefore = new Set(results.filter((r) => r.kind === 'POST' && r.status >= 200 && r.status < 300 && r.end < faultAt).map((r) => r.name));
  // The last answer to each POST (the client may have repeated it with its key), and who gave
  // it: an instance (X-Instance) or Nginx itself.
  const lastAnswer = new Map();
  for (const r of results) if (r.kind === 'POST' && r.name) lastAnswer.set(r.name, r);
  const final = (code) => [...lastAnswer].filter(([n, r]) => r.status === code && !posts.acknowledged.has(n)).map(([n]) => n);
  const s503 = final(503);
  const s504 = final(504);
  const by = (names) => {
    const out = {};
    for (const n of names) {
      const who = lastAnswer.get(n).instance ? 'service' : 'nginx';
      out[who] = (out[who] ?? 0) + 1;
    }
    return Object.entries(out).map(([k, v]) => `${k}:${v}`).join(' ');
  };
  return {
    acknowledged: acked.length,
    ackedBefore: ackedBefore.size,
    missingBefore: [...ackedBefore].filter((n) => !stored.has(n)).length,
    missing: acked.filter((n) => !stored.has(n)).length,
    answered503: s503.length,
    applied503: s503.filter((n) => stored.has(n)).length,
    applied503By: by(s503.filter((n) => stored.has(n))),
    answered504: s504.length,
    applied504: s504.filter((n) => stored.has(n)).length,
  };
}

/** The broken promises of an audit. */
export function auditBroken(a) {
  const broken = [];
  if (a.missing) broken.push(`${a.missing} acknowledged writes missing from PostgreSQL (${a.missingBefore} of them acknowledged before the fault)`);
  if (a.applied503) broken.push(`${a.applied503} writes answered 503 ("not applied") were applied (answered by ${a.applied503By})`);
  return broken;
}

/** redis-cli against a sentinel (inside its container, as triad-admin, password from its secret file). */
export async function sentinelCli(sentinel, ...args) {
  const id = (await compose('ps', '--quiet', sentinel)).trim().split('\n')[0];
  if (!id) throw new Error(`${sentinel} is not running`);
  return run('docker', ['exec', id, 'sh', '-c', 'REDISCLI_AUTH="$(cat /run/secrets/redis_admin_password)" exec redis-cli --user triad-admin -p 26379 "$@"', 'redis-cli', ...args], { timeoutMs: 10_000 });
}

/** The Redis primary's host name as the sentinels agree on it (a majority of the three). */
export async function redisPrimary() {
  const votes = {};
  for (const s of ['sentinel1', 'sentinel2', 'sentinel3']) {
    try {
      const host = (await sentinelCli(s, '--raw', 'SENTINEL', 'get-master-addr-by-name', 'triad')).split('\n')[0].trim();
      if (host) votes[host] = (votes[host] ?? 0) + 1;
    } catch {
      // a sentinel that does not answer has no vote
    }
  }
  const [host, n] = Object.entries(votes).sort((a, b) => b[1] - a[1])[0] ?? [];
  return n >= 2 ? host : undefined;
}

/** redis-cli in a Redis data node's container, as triad-admin. */
export async function nodeCli(service, ...args) {
  const id = (await compose('ps', '--quiet', service)).trim().split('\n')[0];
  if (!id) throw new Error(`${service} is not running`);
  return run('docker', ['exec', id, 'sh', '-c', 'REDISCLI_AUTH="$(cat /run/secrets/redis_admin_password)" exec redis-cli --user triad-admin "$@"', 'redis-cli', ...args], { timeoutMs: 10_000 });
}

export const secs = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
