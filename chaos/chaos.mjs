// make chaos: the fault drills of issue 9 against the running Compose stack (make up first).
//   node chaos/chaos.mjs [stop] [kill] [pg-lock] [redis] [alert] [pg-freeze] [instance-cut-from-pg]
//                        [ha | redis-primary-kill pg-primary-kill pg-standby-down] [restore]
// Default: stop, kill, pg-lock, redis, pg-freeze, instance-cut-from-pg. `ha` (issue 18) needs the
// HA profile (make up HA=1): the data tier's three drills, then pg-freeze and instance-cut-from-pg.
// `restore` (issue 19): make backup, make restore AT=..., volume loss. `alert` (issue 11) needs the observe profile (make up
// OBSERVE=1): it times TriadInstanceDown in Alertmanager against the rule's for + one scrape.
// Environment: CHAOS_ROUNDS (10 per failover drill), CHAOS_RATE (requests/s of the load, 60).
// Prints a table per drill and exits 1 when any promise was broken.
import { failover } from './drills/failover.mjs';
import { pgLock } from './drills/pg-lock.mjs';
import { redisFaults } from './drills/redis.mjs';
import { alertDrill } from './drills/alert.mjs';
import { pgFreeze } from './drills/pg-freeze.mjs';
import { instanceCutFromPg } from './drills/instance-cut-from-pg.mjs';
import { redisPrimaryKill } from './drills/redis-primary-kill.mjs';
import { pgPrimaryKill } from './drills/pg-primary-kill.mjs';
import { pgStandbyDown } from './drills/pg-standby-down.mjs';
import { restoreDrill } from './drills/restore.mjs';
import { restoreInstances } from '../e2e/lib/stack.mjs';

const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 10);
const DRILLS = {
  stop: () => failover('stop', ROUNDS),
  kill: () => failover('kill', ROUNDS),
  'pg-lock': () => pgLock(),
  redis: () => redisFaults(),
  alert: () => alertDrill(Number(process.env.CHAOS_ALERT_ROUNDS ?? 3)),
  'pg-freeze': () => pgFreeze(),
  'instance-cut-from-pg': () => instanceCutFromPg(),
  // Issue 18, the HA profile (make up HA=1): the data tier's faults.
  'redis-primary-kill': () => redisPrimaryKill(),
  'pg-primary-kill': () => pgPrimaryKill(),
  'pg-standby-down': () => pgStandbyDown(),
  // Issue 19: a point-in-time restore and a lost PostgreSQL volume (chaos/drills/restore.mjs).
  restore: async () => (await restoreDrill()).broken,
};
// Groups: a name that stands for several drills, in order.
const GROUPS = {
  ha: ['redis-primary-kill', 'pg-primary-kill', 'pg-standby-down', 'pg-freeze', 'instance-cut-from-pg'],
};
const DEFAULT = ['stop', 'kill', 'pg-lock', 'redis', 'pg-freeze', 'instance-cut-from-pg'];

const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT).flatMap((d) => GROUPS[d] ?? [d]);
const unknown = wanted.filter((d) => !DRILLS[d]);
if (unknown.length) {
  console.error(`unknown drill ${unknown.join(', ')}: choose from ${[...Object.keys(DRILLS), ...Object.keys(GROUPS)].join(', ')}`);
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
