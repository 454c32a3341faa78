// The facts the manifests must agree with, read from their single sources:
// docs/API.md (ports, admin endpoints, configuration variables), pom.xml (image),
// nginx/ (proxy limits), db/migration (schema).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { API_MD, POM, NGINX_DIR, COMPOSE, REPO, SRC_MAIN, PROMETHEUS_RULE } from './paths.mjs';
import { INITDB_FILES } from './initdb.mjs';
import { RULES_SOURCE } from './prometheusrule.mjs';

function section(md, heading) {
  const start = md.search(new RegExp(`^## ${heading}`, 'm'));
  if (start < 0) throw new Error(`API.md has no "## ${heading}" section`);
  const rest = md.slice(start + 3);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

function tableRows(text) {
  return text.split('\n')
    .filter((l) => /^\|/.test(l.trim()) && !/^\|\s*-/.test(l.trim()))
    .slice(1) // header
    .map((l) => l.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim()));
}

const ticks = (cell) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]);

export function parseApiMd(md) {
  const ports = {};
  for (const [port, name] of tableRows(section(md, 'Ports'))) {
    if (/^\d+$/.test(port)) ports[name] = Number(port);
  }
  if (!ports.public || !ports.admin) throw new Error('API.md Ports table must name a public and an admin port');

  const admin = {};
  for (const [pathCell, meaning] of tableRows(section(md, 'Admin port'))) {
    const p = /^`?GET (\/\S*?)`?$/.exec(pathCell)?.[1];
    if (!p) continue;
    if (/^liveness/i.test(meaning)) admin.live = p;
    else if (/^readiness/i.test(meaning)) admin.ready = p;
    else if (/^startup/i.test(meaning)) admin.started = p;
    else if (/^Prometheus/i.test(meaning)) admin.metrics = p;
  }
  for (const k of ['live', 'ready', 'started', 'metrics']) if (!admin[k]) throw new Error(`API.md admin table: no ${k} endpoint`);

  const variables = new Set();
  const defaults = {};
  const isVar = (s) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{3,}$/.test(s) && !/^PT\d/.test(s);
  // The contract's table, and the variables the project added (its own table, same columns).
  for (const [vars, dflt, meaning] of [...tableRows(section(md, 'Configuration')), ...tableRows(section(md, 'Additions of the project'))]) {
    const names = ticks(vars).filter(isVar);
    const dflts = dflt.split(' / ').map((c) => c.trim().replace(/^`|`$/g, ''));
    names.forEach((n, i) => { variables.add(n); if (dflts[i] !== undefined) defaults[n] = dflts[i]; });
    ticks(meaning ?? '').filter(isVar).forEach((n) => variables.add(n));
  }
  if (variables.size < 5) throw new Error(`API.md configuration table: found only ${[...variables]}`);
  return { ports, admin, variables, defaults };
}

export function parsePom(xml) {
  const noComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  // the project's own coordinates: outside <parent>, <dependencies>, <build>, <profiles>, ...
  const top = noComments
    .replace(/<parent>[\s\S]*?<\/parent>/, '')
    .replace(/<(properties|dependencies|dependencyManagement|build|profiles|reporting|pluginRepositories|repositories)>[\s\S]*?<\/\1>/g, '');
  const version = /<version>\s*([^<\s]+)\s*<\/version>/.exec(top)?.[1];
  const props = /<properties>([\s\S]*?)<\/properties>/.exec(noComments)?.[1] ?? '';
  const prop = (name) => new RegExp(`<${name.replace(/\./g, '\\.')}>\\s*([^<]*?)\\s*</${name.replace(/\./g, '\\.')}>`).exec(props)?.[1];
  const imageName = prop('image.name');
  const imageUser = prop('image.user');
  if (!version || !imageName) throw new Error('pom.xml: project version or image.name property not found');
  return { version, imageName, imageUser, image: `${imageName}:${version}` };
}

/** Every value of the given nginx directives in all files under dir: {directive: [{file, value}]}. */
export function parseNginx(dir, names) {
  const found = Object.fromEntries(names.map((n) => [n, []]));
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else files.push(p);
    }
  };
  walk(dir);
  for (const file of files.sort()) {
    const text = fs.readFileSync(file, 'utf8').replace(/#[^\n]*/g, '');
    for (const n of names) {
      for (const m of text.matchAll(new RegExp(`(?:^|[\\s;{}])${n}\\s+([^;\\s]+)\\s*;`, 'g'))) {
        found[n].push({ file: path.relative(path.dirname(dir), file), value: m[1] });
      }
    }
  }
  return found;
}

/** nginx size ("64k", "1m", "100") in bytes. */
export function nginxSize(v) {
  const m = /^(\d+)([kKmMgG]?)$/.exec(String(v));
  if (!m) throw new Error(`not an nginx size: ${v}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
}

/** nginx time ("2s", "500ms", "1m", "10") in seconds. */
export function nginxSeconds(v) {
  let total = 0;
  const s = String(v);
  const re = /(\d+)(ms|s|m|h|d|w|M|y)?/gy;
  let m, pos = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000, undefined: 1 }[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new Error(`not an nginx time: ${v}`);
  return total;
}

/** Gateway API Duration ("10s", "1m30s", "500ms"; GEP-2257) in seconds. */
export function gatewaySeconds(v) {
  const s = String(v ?? '');
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(s)) throw new Error(`not a Gateway API duration: ${v}`);
  let total = 0;
  for (const m of s.matchAll(/([0-9]+)(h|ms|m|s)/g)) total += Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 0.001 }[m[2]];
  return total;
}

/** ISO-8601 duration as java.time.Duration.parse accepts it (PT10S, PT1M30S, PT0.5S) in seconds. */
export function isoSeconds(v) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(String(v));
  if (!m || String(v).toUpperCase() === 'PT' || String(v).toUpperCase() === 'P') throw new Error(`not an ISO-8601 duration: ${v}`);
  return (Number(m[1] ?? 0) * 86400) + (Number(m[2] ?? 0) * 3600) + (Number(m[3] ?? 0) * 60) + Number(m[4] ?? 0);
}

/** service name -> image of compose/compose.yaml (the images Kubernetes must run too). */
export function composeImages(text) {
  const services = YAML.parse(text, { merge: true })?.services ?? {};
  return Object.fromEntries(Object.entries(services).map(([k, v]) => [k, v?.image]));
}

/** The compose/compose.yaml services Kubernetes mirrors (postgres, redis), as parsed. */
export function composeServices(text) {
  const services = YAML.parse(text, { merge: true })?.services ?? {};
  return { postgres: services.postgres, redis: services.redis, migrate: services.migrate };
}

/**
 * The role names db/roles.sh creates, the one the migrations run as (Compose's migrate
 * service: it owns what they create) and the ones db/migration grants DML to.
 */
export function parseRoles(rolesSh, migrationsSql, migrateUser) {
  const created = [...rolesSh.matchAll(/'CREATE ROLE (\w+)'/g)].map((m) => m[1]);
  const granted = [...migrationsSql.matchAll(/^GRANT [A-Z, ]+ ON [\w, ]+ TO (\w+);/gm)].map((m) => m[1]);
  return { created, owner: migrateUser, app: [...new Set(granted)] };
}

/** Every versioned migration of db/migration, in name order, concatenated. */
export function readMigrations() {
  const dir = path.join(REPO, 'db/migration');
  return fs.readdirSync(dir).filter((n) => /^V[0-9._]+__.+\.sql$/.test(n)).sort()
    .map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('\n');
}

/** Redis settings given as --name value flags in a command line. */
export function redisFlags(cmd) {
  return Object.fromEntries([...String(cmd).matchAll(/--([a-z-]+) (\S+)/g)].map((m) => [m[1], m[2]]));
}

/**
 * The Prometheus names of the meters the service registers (Micrometer-style builders in
 * src/main/java): a Timer "a.b" is a_b_seconds_{count,sum,bucket,max}, a Counter a_b_total,
 * a Gauge a_b; plus Prometheus' own `up`.
 */
export function parseMetrics(javaSources) {
  const names = new Set(['up']);
  for (const text of javaSources) {
    for (const m of text.matchAll(/\b(Timer|Counter|Gauge)\.builder\(\s*"([a-z0-9_.]+)"/g)) add(m[1], m[2]);
    for (const m of text.matchAll(/\bcounter\(\s*\w+\s*,\s*"([a-z0-9_.]+)"/g)) add('Counter', m[1]);
  }
  function add(kind, dotted) {
    const base = dotted.replace(/\./g, '_');
    if (kind === 'Timer') for (const s of ['count', 'sum', 'bucket', 'max']) names.add(`${base}_seconds_${s}`);
    else if (kind === 'Counter') names.add(`${base}_total`);
    else names.add(base);
  }
  return names;
}

function javaFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? javaFiles(p) : e.name.endsWith('.java') ? [p] : [];
  });
}

export const NGINX_DIRECTIVES = ['client_max_body_size', 'proxy_connect_timeout', 'proxy_send_timeout', 'proxy_read_timeout'];

export function loadFacts() {
  const read = (src) => fs.readFileSync(path.join(REPO, src), 'utf8');
  if (!fs.existsSync(API_MD)) throw new Error(`the contract is missing: ${API_MD} (docs/API.md is the project's contract: restore it from git)`);
  return {
    api: parseApiMd(fs.readFileSync(API_MD, 'utf8')),
    pom: parsePom(fs.readFileSync(POM, 'utf8')),
    nginx: parseNginx(NGINX_DIR, NGINX_DIRECTIVES),
    initdb: Object.fromEntries(Object.entries(INITDB_FILES).map(([key, src]) => [key, read(src)])),
    composeImages: composeImages(fs.readFileSync(COMPOSE, 'utf8')),
    compose: composeServices(fs.readFileSync(COMPOSE, 'utf8')),
    // The Redis users (ACL) of Compose: the Kubernetes Redis grants the service's user the same.
    redisSh: read('compose/redis.sh'),
    roles: parseRoles(read(INITDB_FILES['10-roles.sh']), readMigrations(),
      composeServices(fs.readFileSync(COMPOSE, 'utf8')).migrate?.environment?.DB_USER),
    metrics: parseMetrics(javaFiles(SRC_MAIN).map((f) => fs.readFileSync(f, 'utf8'))),
    // The Compose rules (the source of truth) and the PrometheusRule generated from them.
    rules: { source: read(RULES_SOURCE), committed: fs.readFileSync(PROMETHEUS_RULE, 'utf8') },
  };
}
