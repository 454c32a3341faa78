// make chaos: the fault drills of issue 9 against the running Compose stack (make up first).
//   node chaos/chaos.mjs [stop] [kill] [pg-lock] [redis] [alert] [restore]
// Default: stop, kill, pg-lock, redis. `alert` (issue 11) needs the observe profile (make up
// OBSERVE=1): it times TriadInstanceDown in Alertmanager against the rule's for + one scrape.
// Environment: CHAOS_ROUNDS (10 per failover drill), CHAOS_RATE (requests/s of the load, 60).
// Prints a table per drill and exits 1 when any promise was broken.
import { failover } from './drills/failover.mjs';
import { pgLock } from './drills/pg-lock.mjs';
import { redisFaults } from './drills/redis.mjs';
import { alertDrill } from './drills/alert.mjs';
import { restoreDrill } from './drills/restore.mjs';
import { restoreInstances } from '../e2e/lib/stack.mjs';

const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 10);
const DRILLS = {
  stop: () => failover('stop', ROUNDS),
  kill: () => failover('kill', ROUNDS),
  'pg-lock': () => pgLock(),
  redis: () => redisFaults(),
  alert: () => alertDrill(Number(process.env.CHAOS_ALERT_ROUNDS ?? 3)),
  // Issue 19: a point-in-time restore and a lost PostgreSQL volume (chaos/drills/restore.mjs).
  restore: async () => (await restoreDrill()).broken,
};
const DEFAULT = ['stop', 'kill', 'pg-lock', 'redis'];

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;
const unknown = wanted.filter((d) => !DRILLS[d]);
if (unknown.length) {
  console.error(`unknown drill ${unknown.join(', ')}: choose from ${Object.keys(DRILLS).join(', ')}`);
  process.exit(2);
}

const verdicts = [];
for (const name of wanted) {
  const started = Date.now();
  let broken;
  try {
    broken = await DRILLS[name]();
  } catch (e) {
    broken = [`the drill could not run: ${e.message.split('\n')[0]}`];
  } finally {
    await restoreInstances().catch((e) => console.error(`could not restore the instances: ${e.message}`));
  }
  verdicts.push({ drill: name, seconds: Math.round((Date.now() - started) / 1000), result: broken.length ? 'BROKEN' : 'kept', broken });
}

console.log('\n## chaos summary\n');
for (const v of verdicts) {
  console.log(`- ${v.drill}: ${v.result} (${v.seconds} s)`);
  for (const b of v.broken) console.log(`    - ${b}`);
}
process.exit(verdicts.some((v) => v.broken.length) ? 1 : 0);
