// The data-tier promises every drill of issue 18 checks against PostgreSQL itself (never
// through the service): writes acknowledged before or during the fault are all there after it,
// and no write answered 503 ("not applied") was applied.
import { psql } from './stack.mjs';

/**
 * From a load's results and posts: acknowledged writes missing from PostgreSQL, writes answered
 * 503 that PostgreSQL holds, and how many were answered 504 (outcome unknown: either is allowed).
 * `query` runs SQL on the current primary (default: the postgres service).
 */
export async function checkWrites(load, tag, { query = psql } = {}) {
  const rows = await query(`SELECT name FROM items WHERE name LIKE '${tag}-%'`);
  const stored = new Set(rows.map(([name]) => name));
  const acknowledged = [...load.posts.acknowledged.keys()];
  const missing = acknowledged.filter((name) => !stored.has(name));
  const answered503 = load.results.filter((r) => r.kind === 'POST' && r.status === 503 && r.name);
  const applied503 = answered503.filter((r) => stored.has(r.name));
  const unknown = load.results.filter((r) => r.kind === 'POST' && r.status === 504 && r.name);
  return {
    acknowledged: acknowledged.length,
    missing,
    answered503: answered503.length,
    applied503: applied503.map((r) => r.name),
    unknown: unknown.length,
    unknownApplied: unknown.filter((r) => stored.has(r.name)).length,
  };
}

/** The broken promises of a checkWrites() result, one line each. */
export function writeVerdicts(w) {
  const broken = [];
  if (w.missing.length) broken.push(`${w.missing.length} of ${w.acknowledged} acknowledged writes are missing from PostgreSQL`);
  if (w.applied503.length) broken.push(`${w.applied503.length} writes answered 503 were applied after all`);
  return broken;
}
