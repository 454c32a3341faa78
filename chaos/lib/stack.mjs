// What the drills need beyond e2e/lib/stack.mjs: SQL as PostgreSQL's superuser, redis-cli
// and the summary table.
import { compose, containerId, run, waitReady } from '../../e2e/lib/stack.mjs';

/**
 * Runs SQL in the postgres container as the superuser its image was started with (read from
 * the container's POSTGRES_USER, so a change of the application roles does not break this).
 * Resolves with the rows, tab-separated.
 */
export async function psql(sql, { timeoutMs = 60_000 } = {}) {
  const id = await containerId('postgres');
  const out = await run(
    'docker',
    ['exec', id, 'sh', '-c', 'exec psql -X -q -t -A -F "\t" -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "${POSTGRES_DB:-$POSTGRES_USER}" -c "$1"', 'psql', sql],
    { timeoutMs },
  );
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** redis-cli in the redis container, authenticated from its secret file. Resolves with stdout. */
export async function redisCli(...args) {
  const id = await containerId('redis');
  return run('docker', ['exec', id, 'sh', '-c', 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" exec redis-cli "$@"', 'redis-cli', ...args], {
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
