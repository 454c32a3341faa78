// Issue 11: the instance-down alert of the observe profile (make up OBSERVE=1 first), timed.
// Each round stops one instance and waits for TriadInstanceDown of that instance to be active
// in Alertmanager. The promise: within the rule's `for` plus one scrape interval of the instance
// going down (`docker compose stop` returned), plus the rule group's evaluation interval (1 s):
// Prometheus sees the failure at the next scrape, the rule at its next evaluation. All three
// are read from Prometheus (its rules and targets APIs), not assumed; the table also shows the
// time from the start of the stop (SIGTERM, drain, exit). The instance
// is then recreated (a new container, as a deploy does) and must be scraped again, up == 1,
// without a reload of Prometheus.
import { INSTANCES, restoreInstances, waitFor } from '../../e2e/lib/stack.mjs';
import { compose, table } from '../lib/stack.mjs';

const PROMETHEUS = `http://127.0.0.1:${process.env.TRIAD_PROMETHEUS_PORT ?? 9090}`;
const ALERTMANAGER = `http://127.0.0.1:${process.env.TRIAD_ALERTMANAGER_PORT ?? 9093}`;
const ALERT = 'TriadInstanceDown';

async function json(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

const targets = async () => (await json(`${PROMETHEUS}/api/v1/targets?state=active`)).data.activeTargets;
const triadTarget = async (instance) => (await targets()).find((t) => t.labels.job === 'triad' && t.labels.instance === instance);

async function alertActive(instance) {
  const alerts = await json(`${ALERTMANAGER}/api/v2/alerts?active=true&filter=${encodeURIComponent(`alertname="${ALERT}"`)}`);
  return alerts.some((a) => a.labels.instance === instance && a.status?.state === 'active');
}

const seconds = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`cannot read the duration '${text}'`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
};

export async function alertDrill(rounds) {
  try {
    const r = await fetch(`${PROMETHEUS}/-/ready`, { signal: AbortSignal.timeout(5_000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  } catch (e) {
    return [`Prometheus does not answer on ${PROMETHEUS} (${e.message}): start the stack with make up OBSERVE=1`];
  }
  await restoreInstances();
  const group = (await json(`${PROMETHEUS}/api/v1/rules?type=alert`)).data.groups
    .find((g) => g.rules.some((r) => r.name === ALERT));
  if (!group) return [`Prometheus has no rule ${ALERT}: is observability/rules mounted?`];
  const forS = group.rules.find((r) => r.name === ALERT).duration;
  const evalS = group.interval;
  // A restored instance is up once Prometheus has scraped it again.
  const notUp = async () => (await targets()).filter((t) => t.health !== 'up').map((t) => `${t.labels.job}/${t.labels.instance}`);
  try {
    await waitFor('every target up', async () => (await notUp()).length === 0, { timeoutMs: 60_000, intervalMs: 500 });
  } catch {
    return [`targets not up before the drill: ${(await notUp()).join(', ')}`];
  }
  const scrapeS = seconds((await triadTarget('web1')).scrapeInterval);
  const limitS = forS + scrapeS + evalS;
  const rows = [];
  const broken = [];
  for (let round = 1; round <= rounds; round++) {
    const victim = INSTANCES[(round - 1) % INSTANCES.length];
    await waitFor(`no ${ALERT} for ${victim} left from before`, async () => !(await alertActive(victim)), { timeoutMs: 120_000, intervalMs: 500 });
    const t0 = Date.now();
    await compose('stop', victim);
    const stoppedS = (Date.now() - t0) / 1000;
    await waitFor(`${ALERT} for ${victim} in Alertmanager`, () => alertActive(victim), { timeoutMs: (limitS + 30) * 1000, intervalMs: 100 }).catch(() => null);
    const firedS = (Date.now() - t0) / 1000;
    const afterDownS = firedS - stoppedS;
    const t1 = Date.now();
    // A new container, as `make deploy` makes: Prometheus must find it by name again.
    await compose('up', '-d', '--force-recreate', '--no-deps', victim);
    await waitFor(`${victim} scraped again`, async () => {
      const t = await triadTarget(victim);
      return t && t.health === 'up' && Date.parse(t.lastScrape) > t1;
    }, { timeoutMs: 120_000, intervalMs: 100 });
    const rescrapedS = (Date.now() - t1) / 1000;
    const kept = afterDownS <= limitS;
    if (!kept) broken.push(`round ${round}: ${ALERT} for ${victim} active ${afterDownS.toFixed(1)} s after it was down, limit ${limitS} s (for ${forS} s + scrape ${scrapeS} s + evaluation ${evalS} s)`);
    rows.push({
      round, victim, 'stop took s': stoppedS.toFixed(1), 'active, from the stop s': firedS.toFixed(1),
      'active, from down s': afterDownS.toFixed(1), 'limit s': limitS, 'recreated → scraped again s': rescrapedS.toFixed(1), kept: kept ? 'yes' : 'NO',
    });
  }
  table(`${ALERT}: stop → active in Alertmanager (for ${forS} s + scrape interval ${scrapeS} s + evaluation ${evalS} s)`, rows);
  return broken;
}
