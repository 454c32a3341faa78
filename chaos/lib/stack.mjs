// What the drills need beyond e2e/lib/stack.mjs: SQL as PostgreSQL's superuser, redis-cli
// and the summary table.
import { HA, compose, containerId, run, waitReady } from '../../e2e/lib/stack.mjs';

/** The PostgreSQL nodes of the HA profile (compose/ha.yaml). */
export const PG_NODES = ['postgres', 'postgres-standby'];

/**
 * A node's role, asked of the node itself: 'primary', 'standby-<wal receiver status>' (e.g.
 * standby-streaming) or 'down' (no running container, or it does not answer).
 */
export async function pgRole(service) {
  const id = (await compose('ps', '--quiet', service).catch(() => '')).trim().split('\n')[0];
  if (!id) return 'down';
  try {
    const out = await run(
      'docker',
      ['exec', id, 'psql', '-XqtA', '-U', 'postgres', '-d', 'postgres', '-c', "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby-' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'not-streaming') ELSE 'primary' END"],
      { timeoutMs: 10_000 },
    );
    return out.trim();
  } catch {
    return 'down';
  }
}

/** The service name of the node that answers as primary; throws when none does. */
export async function pgPrimary() {
  for (const n of PG_NODES) if ((await pgRole(n)) === 'primary') return n;
  throw new Error('no PostgreSQL node answers as primary (make db-status)');
}

/**
 * Runs SQL in the postgres container as the superuser its image was started with (read from
 * the container's POSTGRES_USER, so a change of the application roles does not break this).
 * Resolves with the rows, tab-separated.
 */
export async function psql(sql, { timeoutMs = 60_000, service } = {}) {
  // In the HA profile the primary may be either node (make db-failover swaps them).
  const id = await containerId(service ?? (HA ? await pgPrimary() : 'postgres'));
  const out = await run(
    'docker',
    ['exec', id, 'sh', '-c', 'exec psql -X -q -t -A -F "\t" -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "${POSTGRES_DB:-$POSTGRES_USER}" -c "$1"', 'psql', sql],
    { timeoutMs },
  );
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** redis-cli in the redis container as the operator's user triad-admin (compose/redis.sh), password from its secret file. Resolves with stdout. */
export async function redisCli(...args) {
  const id = await containerId('redis');
  return run('docker', ['exec', id, 'sh', '-c', 'REDISCLI_AUTH="$(cat /run/secrets/redis_admin_password)" exec redis-cli --user triad-admin "$@"', 'redis-cli', ...args], {
    timeoutMs: 30_000,
  });
}

export { compose, waitReady };

/** Prints rows (objects with the same keys) as a Markdown table. */
export function table(title, rows) {
  if (!rows.length) return;
  const keys = Object.keys(rows[0]);
  const cells = rows.map((r) => keys.map((k) => String(r[k] ?? '')));
  const width = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((v, i) => v.padEnd(width[i])).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(keys));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

export const fmtStatus = (byStatus) =>
  Object.keys(byStatus).length ? Object.entries(byStatus).map(([k, v]) => `${k}:${v}`).join(' ') : '-';
