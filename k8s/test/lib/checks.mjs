// Consistency checks: each takes the manifests and the facts and returns a list of
// problems (empty = fine). consistency.test.mjs runs each on the real files, and on a
// copy broken on purpose, where it must report a problem.
import { nginxSize, nginxSeconds, isoSeconds, redisFlags, gatewaySeconds } from './facts.mjs';
import { INITDB_NAME, INITDB_FILES } from './initdb.mjs';
import { promql } from './promql.mjs';
import { renderPrometheusRule, RULES_SOURCE, RULE_NAME } from './prometheusrule.mjs';
import YAML from 'yaml';
import { isDeepStrictEqual } from 'node:util';

export const NS = 'triad';
export const SECRET = 'triad-secrets';
export const SECRET_KEYS = ['db-password', 'redis-password'];
// The PostgreSQL superuser's and schema owner's passwords: only the postgres pod mounts it.
export const ADMIN_SECRET = 'triad-db-admin';
/** The Redis users other than the service's (operator, replicas, sentinels): Redis pods only. */
export const REDIS_ADMIN_SECRET = 'triad-redis-admin';
export const MIGRATE_JOB = 'triad-migrate';
// What a variant (lib/variants.mjs) is meant to be; the plain directory by default.
const PLAIN = { ha: true, image: 'tag', monitoring: false, db: 'statefulset', redis: 'single' };
// Redis through Sentinel (issue 18, point 1; Settings.java, docs/API.md): set wherever the
// sentinels run.
export const SENTINEL_VARIABLES = ['REDIS_SENTINELS', 'REDIS_MASTER_NAME'];
// CloudNativePG: the Cluster, its read-write Service (the primary), the port every instance
// listens on, its metrics port; the Barman Cloud plugin's name.
export const CNPG = 'postgresql.cnpg.io/v1';
export const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';
export const rwService = (cluster) => `${cluster.metadata.name}-rw`;
// Roles the operator creates when an instance starts (after the bootstrap SQL), and the one
// statement of db/roles.sh the Cluster must not repeat because of them (cluster.yaml says why).
export const CNPG_RUNTIME_ROLES = ['streaming_replica', 'cnpg_metrics_exporter', 'cnpg_pooler_pgbouncer'];
export const CNPG_KEEPS_CONNECT = 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC';
/** The labels the operator gives an instance pod of the Cluster (role: primary or replica), plus inheritedMetadata. */
export const cnpgPodLabels = (cluster, role) => ({
  ...(cluster?.spec?.inheritedMetadata?.labels ?? {}),
  'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': cluster?.metadata?.name,
  'app.kubernetes.io/component': 'database', 'cnpg.io/cluster': cluster?.metadata?.name,
  'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': role,
});
// The values of the service's status label: a class, never a code (RequestMetrics.statusClass).
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'];
// The listeners of the platform's Gateway the routes attach to, by name (sectionName;
// k8s/README.md "Deploy" asks for them): TLS terminated on one, plain HTTP on the other.
export const HTTPS_LISTENER = 'https';
export const HTTP_LISTENER = 'http';
// Strict-Transport-Security: browsers keep a max-age of at least a year (and preload lists
// require it), so a shorter one protects only the visits soon after the last.
export const HSTS_MIN_SECONDS = 31536000;
// The cluster DNS: its pods' label and namespace (kubeadm's CoreDNS, kind, GKE, EKS, AKS).
export const DNS_NAMESPACE = 'kube-system';
export const DNS_POD_LABELS = { 'k8s-app': 'kube-dns' };

// ---- helpers --------------------------------------------------------------------------
export const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
const podSpec = (w) => w?.spec?.template?.spec;
const container = (w, name) => podSpec(w)?.containers?.find((c) => c.name === name);
const matches = (selector, labels) => !!selector && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const workloads = (objs) => objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'].includes(o.kind));

function resolvePort(c, port) {
  if (typeof port === 'number') return port;
  return c?.ports?.find((p) => p.name === port)?.containerPort;
}

/** The environment of a container as name -> {value} | {valueFrom} (envFrom ConfigMaps resolved). */
export function containerEnv(objs, c) {
  const env = new Map();
  for (const from of c?.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = find(objs, 'ConfigMap', from.configMapRef.name);
      if (!cm) { env.set(`<missing ConfigMap ${from.configMapRef.name}>`, {}); continue; }
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set((from.prefix ?? '') + k, { value: v, from: cm.metadata.name });
    } else {
      env.set(`<envFrom ${JSON.stringify(from)}>`, {});
    }
  }
  for (const e of c?.env ?? []) env.set(e.name, e.valueFrom ? { valueFrom: e.valueFrom } : { value: e.value });
  return env;
}

/** Where a secret key shows up in a container: mountPath/path -> {secretName, key}. */
function secretFiles(w, c) {
  const files = new Map();
  for (const m of c?.volumeMounts ?? []) {
    const v = podSpec(w).volumes?.find((x) => x.name === m.name);
    if (!v?.secret) continue;
    const items = v.secret.items ?? SECRET_KEYS.map((k) => ({ key: k, path: k })); // no items: every key
    for (const it of items) files.set(`${m.mountPath.replace(/\/$/, '')}/${it.path}`, { secretName: v.secret.secretName, key: it.key });
  }
  return files;
}

function parseUrl(u) {
  try { return new URL(String(u).replace(/^jdbc:/, '')); } catch { return null; }
}

/** The Service a host name means from inside the namespace: name, name.ns, name.ns.svc[.cluster.local]. */
function serviceOf(objs, host) {
  const [name, ns = NS, svc] = String(host).split('.');
  if (ns !== NS || (svc !== undefined && svc !== 'svc')) return undefined;
  return find(objs, 'Service', name);
}

/** Bytes of a Kubernetes quantity (256Mi), a Redis size (128mb) or a Compose size (256m). */
export function parseQuantity(q) {
  const m = /^(\d+)(Ki|Mi|Gi|k|kb|m|mb|g|gb|K|M|G)?$/i.exec(String(q ?? ''));
  if (!m) return NaN;
  const unit = (m[2] ?? '').toLowerCase().replace(/b$|i$/, '');
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit];
}

export { promql };

// ---- CloudNativePG and Sentinel helpers -----------------------------------------------------
const clusterOf = (objs) => objs.filter((o) => o.kind === 'Cluster' && o.apiVersion === CNPG);

/** db/roles.sh's SQL statements that shape privileges (REVOKE, GRANT, ALTER SCHEMA), one line each, :"db" as the database. */
export function rolesShGrants(rolesSh, db) {
  return [...rolesSh.matchAll(/^(REVOKE|GRANT|ALTER SCHEMA) [^;]*;/gm)].map((m) => m[0].replace(/;$/, '').replace(/:"db"/g, db).replace(/\s+/g, ' '))
    .filter((g) => !COMPOSE_ONLY_ROLES.some((r) => new RegExp(`\\b${r}\\b`).test(g)));
}

/**
 * Roles db/roles.sh creates for Compose only (when their password file is set): the
 * PostgreSQL exporter's triad_monitor (Kubernetes has no such exporter: CloudNativePG's
 * instance manager exports the metrics with its own role).
 */
const COMPOSE_ONLY_ROLES = ['triad_monitor'];

/** The roles as CloudNativePG makes them: the service's DML role and the owner, as db/roles.sh; no superuser for either. */
function cnpgRoleProblems(objs, f) {
  const p = [];
  const [cluster] = clusterOf(objs);
  if (!cluster) return ['no CloudNativePG Cluster'];
  const d = find(objs, 'Deployment', 'triad');
  const dbUser = containerEnv(objs, container(d, 'triad')).get('DB_USER')?.value;
  const { created, owner, app } = f.roles;
  const init = cluster.spec.bootstrap?.initdb ?? {};
  if (init.owner !== owner) p.push(`Cluster bootstrap.initdb.owner ${init.owner} is not the owner the migrations run as (${owner}, Compose's migrate DB_USER)`);
  if (!owner || !created.includes(owner)) p.push(`the migrations run as ${owner}, not a role db/roles.sh creates`);
  if (app.length !== 1 || dbUser !== app[0]) p.push(`DB_USER ${dbUser} is not the role db/migration grants DML to (${app.join(', ')})`);
  if (dbUser === owner) p.push(`the service connects as the owner ${owner}`);
  if (cluster.spec.enableSuperuserAccess !== false) p.push('enableSuperuserAccess is not false: the superuser postgres gets a password (administration is kubectl cnpg psql)');
  const roles = new Map((cluster.spec.managed?.roles ?? []).map((r) => [r.name, r]));
  for (const name of [owner, dbUser]) {
    const r = roles.get(name);
    if (!r) { p.push(`managed.roles has no ${name}`); continue; }
    if (r.ensure === 'absent' || r.login !== true) p.push(`managed role ${name} cannot log in`);
    for (const a of ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls']) if (r[a] !== false) p.push(`managed role ${name}: ${a} is not false`);
    if (!r.passwordSecret?.name) p.push(`managed role ${name} has no passwordSecret`);
  }
  if (roles.get(dbUser) && roles.get(dbUser).inherit !== false) p.push(`managed role ${dbUser}: inherit is not false (db/roles.sh: NOINHERIT)`);
  if (init.secret?.name && roles.get(owner)?.passwordSecret?.name !== init.secret.name) p.push(`the owner's password comes from ${init.secret.name} at initdb and from ${roles.get(owner)?.passwordSecret?.name} afterwards`);
  if (roles.get(owner)?.passwordSecret?.name === roles.get(dbUser)?.passwordSecret?.name) p.push('the owner and the service role share one password Secret');
  // The privileges of db/roles.sh, statement for statement (the role triad created first),
  // but for database postgres, where the operator's own roles (streaming_replica for pg_rewind,
  // cnpg_metrics_exporter) must keep CONNECT: the operator creates them when the instance
  // starts, after this SQL ran, so no statement here can grant it to them.
  const sql = (init.postInitApplicationSQL ?? []).map((x) => String(x).replace(/\s+/g, ' ').trim());
  for (const x of sql) if (CNPG_RUNTIME_ROLES.some((r) => new RegExp(`\\b${r}\\b`).test(x))) p.push(`postInitApplicationSQL names ${x.match(new RegExp(CNPG_RUNTIME_ROLES.join('|')))[0]}, a role the operator creates only after it ran: the bootstrap fails`);
  if (sql.includes(CNPG_KEEPS_CONNECT)) p.push(`postInitApplicationSQL has "${CNPG_KEEPS_CONNECT}": pg_rewind (streaming_replica) and the metrics exporter connect there`);
  if (sql.includes(`REVOKE ALL ON DATABASE ${init.database} FROM PUBLIC`) && !sql.includes(`GRANT CONNECT ON DATABASE ${init.database} TO pg_monitor`)) p.push(`database ${init.database} is closed to PUBLIC but not opened to pg_monitor: the metrics exporter cannot read its statistics`);
  for (const g of rolesShGrants(f.initdb['10-roles.sh'], init.database).filter((x) => x !== CNPG_KEEPS_CONNECT)) {
    if (!sql.includes(g)) p.push(`postInitApplicationSQL lacks "${g}" (db/roles.sh)`);
  }
  if (!sql.some((x) => new RegExp(`^CREATE ROLE ${dbUser} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT$`).test(x))) p.push(`postInitApplicationSQL does not create ${dbUser} as db/roles.sh does (LOGIN NOSUPERUSER ... NOINHERIT)`);
  if (sql.some((x) => /PASSWORD/i.test(x))) p.push('a password in postInitApplicationSQL (it is in the Cluster object, readable by every reader of it)');
  // The admin Secret: the migration Job its owner-password key only; nobody else.
  for (const w of workloads(objs)) for (const vol of podSpec(w)?.volumes ?? []) {
    if (vol.secret?.secretName !== ADMIN_SECRET) continue;
    const ownerOnly = JSON.stringify((vol.secret.items ?? []).map((i) => i.key)) === JSON.stringify(['owner-password']);
    if (!(w.kind === 'Job' && w.metadata.name === MIGRATE_JOB && ownerOnly)) p.push(`${w.kind}/${w.metadata.name} mounts ${ADMIN_SECRET}${ownerOnly ? '' : ' beyond owner-password'}`);
  }
  for (const vol of podSpec(d)?.volumes ?? []) {
    if (vol.secret?.secretName !== SECRET) continue;
    const keys = (vol.secret.items ?? []).map((i) => i.key).sort();
    if (JSON.stringify(keys) !== JSON.stringify([...SECRET_KEYS].sort())) p.push(`triad mounts ${SECRET} keys ${keys.length ? keys.join(', ') : 'all'}, want only ${SECRET_KEYS.join(', ')}`);
  }
  return p;
}

// ---- a NetworkPolicy evaluator (matchLabels only, as every policy here is written) ---------
// A peer: {ns, labels, ip} (ip: outside the cluster). Namespaces carry only their name label.
const selects = (sel, labels) => !!sel && !sel.matchExpressions && Object.entries(sel.matchLabels ?? {}).every(([k, x]) => labels?.[k] === x);
function peerMatches(rule, peer) {
  if (rule.ipBlock) return !!peer.ip;
  if (peer.ip) return false;
  const nsOk = rule.namespaceSelector ? selects(rule.namespaceSelector, { 'kubernetes.io/metadata.name': peer.ns }) : peer.ns === NS;
  return nsOk && (!rule.podSelector || selects(rule.podSelector, peer.labels));
}
function portMatches(ports, port, namedPorts) {
  if (!ports?.length) return true;
  return ports.some((x) => (x.protocol ?? 'TCP') === 'TCP' && (x.port === undefined || x.port === port || namedPorts?.[x.port] === port));
}
/**
 * May `from` open a TCP connection to `to` on `port`, under the policies of namespace triad?
 * sides: which policies count ({egress, ingress}); one side alone shows whether that side is
 * tight by itself (a pod added later with a wide egress policy meets only the ingress side).
 */
export function npAllows(nps, from, to, port, sides = { egress: true, ingress: true }) {
  const dir = (peer, type) => peer.ns === NS && !peer.ip ? nps.filter((n) => selects(n.spec.podSelector, peer.labels) && (n.spec.policyTypes ?? ['Ingress']).includes(type)) : null;
  const egress = sides.egress ? dir(from, 'Egress') : null;
  if (egress && egress.length && !egress.some((n) => (n.spec.egress ?? []).some((r) => (!r.to?.length || r.to.some((x) => peerMatches(x, to))) && portMatches(r.ports, port, from.ports)))) return false;
  const ingress = sides.ingress ? dir(to, 'Ingress') : null;
  if (ingress && ingress.length && !ingress.some((n) => (n.spec.ingress ?? []).some((r) => (!r.from?.length || r.from.some((x) => peerMatches(x, from))) && portMatches(r.ports, port, to.ports)))) return false;
  return true;
}

// ---- the checks -------------------------------------------------------------------------
export const checks = {
  'Namespace triad is the first object applied, everything else is in it'(objs) {
    const p = [];
    if (objs[0]?.kind !== 'Namespace' || objs[0]?.metadata?.name !== NS) p.push(`first object applied is ${objs[0]?.kind}/${objs[0]?.metadata?.name}, not Namespace/${NS}`);
    for (const o of objs.slice(1)) {
      if (o.kind === 'Namespace') p.push(`another Namespace: ${o.metadata.name}`);
      else if (o.metadata?.namespace !== NS) p.push(`${o.kind}/${o.metadata?.name} is in namespace ${o.metadata?.namespace}, not ${NS}`);
    }
    return p;
  },

  'every object has the app.kubernetes.io labels'(objs) {
    const p = [];
    for (const o of objs) {
      const l = o.metadata?.labels ?? {};
      if (l['app.kubernetes.io/part-of'] !== 'triad') p.push(`${o.kind}/${o.metadata?.name}: no app.kubernetes.io/part-of=triad`);
      if (o.kind !== 'Namespace' && !o.kind.startsWith('NetworkPolicy') && !l['app.kubernetes.io/name']) p.push(`${o.kind}/${o.metadata?.name}: no app.kubernetes.io/name`);
    }
    for (const w of workloads(objs)) {
      const l = w.spec.template.metadata?.labels ?? {};
      for (const k of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of']) {
        if (!l[k]) p.push(`${w.kind}/${w.metadata.name}: pod template has no ${k}`);
      }
    }
    return p;
  },

  'no Secret is applied by kubectl apply -f k8s/ (the user creates triad-secrets)'(objs) {
    return objs.filter((o) => o.kind === 'Secret').map((o) => `Secret/${o.metadata.name} is applied from the top level of k8s/`);
  },

  'triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user'(objs, f, v = PLAIN) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    const c = container(d, 'triad');
    if (!c) return ['no Deployment/triad with a container named triad'];
    if (v.image === 'digest') {
      const name = /^(?:[^@]+\/)?([^/@:]+)@sha256:[0-9a-f]{64}$/.exec(c.image ?? '')?.[1];
      if (name !== f.pom.imageName) p.push(`image ${c.image} is not ${f.pom.imageName} pinned by a sha256 digest`);
    } else if (c.image !== f.pom.image) p.push(`image ${c.image} != ${f.pom.image} (pom.xml image.name:version)`);
    if (f.pom.imageUser) {
      const [uid, gid] = f.pom.imageUser.split(':').map(Number);
      const sc = { ...podSpec(d).securityContext, ...c.securityContext };
      if (sc.runAsUser !== uid) p.push(`runAsUser ${sc.runAsUser} != ${uid} (pom.xml image.user)`);
      if (gid !== undefined && sc.runAsGroup !== gid) p.push(`runAsGroup ${sc.runAsGroup} != ${gid} (pom.xml image.user)`);
    }
    return p;
  },

  'triad container ports are the public and admin ports of API.md'(objs, f) {
    const c = container(find(objs, 'Deployment', 'triad'), 'triad');
    const want = [{ name: 'http', containerPort: f.api.ports.public }, { name: 'admin', containerPort: f.api.ports.admin }];
    const have = (c?.ports ?? []).map((x) => ({ name: x.name, containerPort: x.containerPort }));
    return JSON.stringify(have) === JSON.stringify(want) ? [] : [`ports ${JSON.stringify(have)} != ${JSON.stringify(want)}`];
  },

  'triad probes are the admin endpoints of API.md on the admin port'(objs, f) {
    const p = [];
    const c = container(find(objs, 'Deployment', 'triad'), 'triad');
    for (const [probe, endpoint] of [['startupProbe', 'started'], ['readinessProbe', 'ready'], ['livenessProbe', 'live']]) {
      const g = c?.[probe]?.httpGet;
      if (!g) { p.push(`${probe} is not an httpGet probe`); continue; }
      if (g.path !== f.api.admin[endpoint]) p.push(`${probe} path ${g.path} != ${f.api.admin[endpoint]}`);
      if (resolvePort(c, g.port) !== f.api.ports.admin) p.push(`${probe} port ${g.port} is not the admin port ${f.api.ports.admin}`);
      if (g.scheme && g.scheme !== 'HTTP') p.push(`${probe} scheme ${g.scheme}`);
    }
    return p;
  },

  'Prometheus annotations point at the metrics endpoint of API.md'(objs, f) {
    const a = find(objs, 'Deployment', 'triad')?.spec?.template?.metadata?.annotations ?? {};
    const p = [];
    if (a['prometheus.io/scrape'] !== 'true') p.push(`prometheus.io/scrape is ${a['prometheus.io/scrape']}`);
    if (a['prometheus.io/port'] !== String(f.api.ports.admin)) p.push(`prometheus.io/port ${a['prometheus.io/port']} != ${f.api.ports.admin}`);
    if (a['prometheus.io/path'] !== f.api.admin.metrics) p.push(`prometheus.io/path ${a['prometheus.io/path']} != ${f.api.admin.metrics}`);
    return p;
  },

  'triad environment: only variables of API.md, wired to the right places'(objs, f, v = PLAIN) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    const c = container(d, 'triad');
    const env = containerEnv(objs, c);
    for (const name of env.keys()) if (!f.api.variables.has(name)) p.push(`${name} is not a variable of the API.md configuration table`);
    if (v.redis === 'sentinel') for (const name of SENTINEL_VARIABLES) if (!env.get(name)?.value) p.push(`${name} is not set (Redis through Sentinel)`);
    if (v.redis !== 'sentinel') for (const name of SENTINEL_VARIABLES) if (env.has(name)) p.push(`${name} is set, but no sentinel runs in this variant`);
    for (const name of ['INSTANCE_ID', 'DB_URL', 'DB_USER', 'REDIS_URL', 'SERVER_PORT', 'ADMIN_PORT']) {
      if (!env.has(name)) p.push(`${name} is not set`);
    }
    if (env.get('INSTANCE_ID')?.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') p.push('INSTANCE_ID is not the pod name (fieldRef metadata.name)');
    // passwords: from Secret files, never both forms, never a literal
    const files = secretFiles(d, c);
    for (const [base, key] of [['DB_PASSWORD', 'db-password'], ['REDIS_PASSWORD', 'redis-password']]) {
      if (env.has(base)) p.push(`${base} is set; use ${base}_FILE from the Secret`);
      const file = env.get(`${base}_FILE`)?.value;
      if (!file) { p.push(`${base}_FILE is not set`); continue; }
      const src = files.get(file);
      if (!src) p.push(`${base}_FILE=${file} is no file of a mounted Secret`);
      else if (src.secretName !== SECRET || src.key !== key) p.push(`${base}_FILE=${file} is ${src.secretName}/${src.key}, not ${SECRET}/${key}`);
    }
    if (env.get('SERVER_PORT')?.value !== String(f.api.ports.public)) p.push(`SERVER_PORT ${env.get('SERVER_PORT')?.value} != ${f.api.ports.public}`);
    if (env.get('ADMIN_PORT')?.value !== String(f.api.ports.admin)) p.push(`ADMIN_PORT ${env.get('ADMIN_PORT')?.value} != ${f.api.ports.admin}`);
    // With CloudNativePG the database Service is the operator's (not in k8s/): the cnpg check.
    for (const [name, svcName, scheme] of [...(v.db === 'cnpg' ? [] : [['DB_URL', 'postgres', 'postgresql:']]), ['REDIS_URL', 'redis', 'redis:']]) {
      const u = parseUrl(env.get(name)?.value);
      if (!u || u.protocol !== scheme) { p.push(`${name}=${env.get(name)?.value} is not a ${scheme} URL`); continue; }
      const svc = serviceOf(objs, u.hostname);
      if (!svc || svc.metadata.name !== svcName) { p.push(`${name} host ${u.hostname} is not the Service ${svcName}`); continue; }
      if (!svc.spec.ports.some((x) => x.port === Number(u.port))) p.push(`${name} port ${u.port} is not a port of Service ${svcName}`);
    }
    const dbUrl = parseUrl(env.get('DB_URL')?.value);
    const pg = containerEnv(objs, container(find(objs, 'StatefulSet', 'postgres'), 'postgres'));
    if (v.db !== 'cnpg' && dbUrl && dbUrl.pathname.slice(1) !== pg.get('POSTGRES_DB')?.value) p.push(`DB_URL database ${dbUrl.pathname.slice(1)} != POSTGRES_DB ${pg.get('POSTGRES_DB')?.value}`);
    for (const name of ['CACHE_TTL', 'SHUTDOWN_GRACE']) {
      if (env.has(name)) { try { isoSeconds(env.get(name).value); } catch (e) { p.push(`${name}: ${e.message}`); } }
    }
    return p;
  },

  'graceful shutdown: preStop + SHUTDOWN_GRACE fit in terminationGracePeriodSeconds, no unavailable pod on rollout'(objs, f) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    const c = container(d, 'triad');
    const env = containerEnv(objs, c);
    const grace = isoSeconds(env.get('SHUTDOWN_GRACE')?.value ?? f.api.defaults.SHUTDOWN_GRACE);
    const pre = c?.lifecycle?.preStop;
    let preSeconds = pre?.sleep?.seconds;
    if (preSeconds === undefined && pre?.exec) preSeconds = Number(/sleep\s+(\d+)/.exec(pre.exec.command.join(' '))?.[1]);
    if (!(preSeconds > 0)) p.push('no preStop sleep: the endpoint removal races SIGTERM');
    const tgps = podSpec(d)?.terminationGracePeriodSeconds ?? 30;
    if (!(tgps > (preSeconds || 0) + grace)) p.push(`terminationGracePeriodSeconds ${tgps} is not above preStop ${preSeconds}s + SHUTDOWN_GRACE ${grace}s`);
    const ru = d?.spec?.strategy?.rollingUpdate;
    if (d?.spec?.strategy?.type !== 'RollingUpdate' || ru?.maxUnavailable !== 0) p.push(`rollout maxUnavailable is ${ru?.maxUnavailable}, not 0`);
    return p;
  },

  'availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)'(objs, f, v = PLAIN) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    if (!v.ha) {
      if (d?.spec?.replicas !== 1) p.push(`replicas ${d?.spec?.replicas}, not 1`);
      for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget']) if (objs.some((o) => o.kind === kind)) p.push(`a ${kind} in a single-pod variant`);
      return p;
    }
    if (d?.spec?.replicas !== 3) p.push(`replicas ${d?.spec?.replicas}, not 3`);
    const hpa = find(objs, 'HorizontalPodAutoscaler', 'triad');
    if (hpa?.apiVersion !== 'autoscaling/v2') p.push('no autoscaling/v2 HorizontalPodAutoscaler triad');
    else {
      const t = hpa.spec.scaleTargetRef;
      if (t.kind !== 'Deployment' || t.name !== 'triad' || t.apiVersion !== 'apps/v1') p.push(`HPA targets ${t.apiVersion} ${t.kind}/${t.name}`);
      if (hpa.spec.minReplicas !== 3 || !(hpa.spec.maxReplicas > 3)) p.push(`HPA min ${hpa.spec.minReplicas} max ${hpa.spec.maxReplicas}`);
      if (!hpa.spec.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')) p.push('HPA does not scale on CPU');
      if (!container(d, 'triad')?.resources?.requests?.cpu) p.push('HPA on CPU utilisation needs a CPU request');
    }
    const pdb = find(objs, 'PodDisruptionBudget', 'triad');
    if (pdb?.spec?.minAvailable !== 2) p.push(`PDB minAvailable ${pdb?.spec?.minAvailable}, not 2`);
    else if (!matches(pdb.spec.selector?.matchLabels, d?.spec?.template?.metadata?.labels)) p.push('PDB selects no triad pod');
    const tsc = podSpec(d)?.topologySpreadConstraints ?? [];
    if (!tsc.some((t) => t.topologyKey === 'kubernetes.io/hostname' && matches(t.labelSelector?.matchLabels, d.spec.template.metadata.labels))) p.push('no topology spread over nodes for triad pods');
    return p;
  },

  'Services, HTTPRoute and selectors reach the pods they mean'(objs, f) {
    const p = [];
    for (const svc of objs.filter((o) => o.kind === 'Service')) {
      const targets = workloads(objs).filter((w) => matches(svc.spec.selector, w.spec.template.metadata.labels));
      if (targets.length !== 1) { p.push(`Service/${svc.metadata.name} selects ${targets.length} workloads`); continue; }
      for (const port of svc.spec.ports) {
        const ok = targets[0].spec.template.spec.containers.some((c) => resolvePort(c, port.targetPort ?? port.port) !== undefined);
        if (!ok) p.push(`Service/${svc.metadata.name} targetPort ${port.targetPort} is no container port`);
      }
    }
    const triadSvc = find(objs, 'Service', 'triad');
    const sp = triadSvc?.spec?.ports?.[0];
    const c = container(find(objs, 'Deployment', 'triad'), 'triad');
    if (triadSvc?.spec?.ports?.length !== 1 || sp.port !== 80 || sp.targetPort !== 'http' || resolvePort(c, 'http') !== f.api.ports.public) {
      p.push(`Service triad must map only port 80 to targetPort http (${f.api.ports.public}); has ${JSON.stringify(triadSvc?.spec?.ports)}`);
    }
    for (const ss of objs.filter((o) => o.kind === 'StatefulSet')) {
      const svc = find(objs, 'Service', ss.spec.serviceName);
      if (!svc || svc.spec.clusterIP !== 'None') p.push(`StatefulSet/${ss.metadata.name}: serviceName ${ss.spec.serviceName} is no headless Service`);
    }
    const route = find(objs, 'HTTPRoute', 'triad');
    if (!route) p.push('no HTTPRoute triad');
    for (const rule of route?.spec?.rules ?? []) for (const b of rule.backendRefs ?? []) {
      const svc = (b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '' && (b.namespace ?? NS) === NS ? find(objs, 'Service', b.name) : undefined;
      if (!svc?.spec.ports.some((x) => x.port === b.port)) p.push(`HTTPRoute backendRef ${b.name}:${b.port} is no Service port`);
    }
    if (!route?.spec?.rules?.some((r) => r.backendRefs?.length)) p.push('HTTPRoute triad has no backendRefs');
    for (const o of objs.filter((x) => x.kind === 'Ingress')) p.push(`Ingress/${o.metadata.name}: use the HTTPRoute (ingress-nginx is retired)`);
    return p;
  },

  'HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose'(objs, f) {
    const p = [];
    const route = find(objs, 'HTTPRoute', 'triad');
    if (route?.apiVersion !== 'gateway.networking.k8s.io/v1') return [`no gateway.networking.k8s.io/v1 HTTPRoute triad (${route?.apiVersion})`];
    const parents = route.spec.parentRefs ?? [];
    if (parents.length !== 1) p.push(`HTTPRoute has ${parents.length} parentRefs, want the one Gateway of the overlay`);
    for (const g of parents) {
      if ((g.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io' || (g.kind ?? 'Gateway') !== 'Gateway') p.push(`parentRef ${g.group}/${g.kind} is not a Gateway`);
      if (!g.name || !g.namespace || g.namespace === NS) p.push(`parentRef ${g.namespace}/${g.name}: name the platform's Gateway and its namespace (not ${NS})`);
    }
    // The one upstream budget of nginx/: connect + send + read happen within one attempt;
    // the Gateway API has no connect timeout, so the attempt gets the send/read bound.
    const one = (d) => {
      const found = f.nginx[d] ?? [];
      const values = new Set(found.map((x) => nginxSeconds(x.value)));
      if (values.size !== 1) { p.push(`nginx/ sets ${d} ${values.size ? 'to different values' : 'nowhere'}: ${found.map((x) => `${x.file}: ${x.value}`).join(', ')}`); return NaN; }
      return [...values][0];
    };
    const send = one('proxy_send_timeout');
    const read = one('proxy_read_timeout');
    if (send !== read) p.push(`nginx/ proxy_send_timeout ${send}s != proxy_read_timeout ${read}s: the route has one timeout for both`);
    for (const [i, r] of (route.spec.rules ?? []).entries()) {
      const t = r.timeouts ?? {};
      let backend, request;
      try { backend = gatewaySeconds(t.backendRequest); request = gatewaySeconds(t.request); } catch (e) { p.push(`rule ${i}: ${e.message}`); continue; }
      if (backend !== read) p.push(`rule ${i}: timeouts.backendRequest ${t.backendRequest} != nginx proxy_read_timeout ${read}s`);
      if (request !== read) p.push(`rule ${i}: timeouts.request ${t.request} != ${read}s (no retry at the gateway: one attempt, one budget)`);
    }
    if (!route.spec.rules?.length) p.push('HTTPRoute has no rules');
    return p;
  },

  'HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)'(objs) {
    const p = [];
    const routes = objs.filter((o) => o.kind === 'HTTPRoute');
    const gw = (ref) => `${ref.group ?? 'gateway.networking.k8s.io'}/${ref.kind ?? 'Gateway'}/${ref.namespace ?? NS}/${ref.name}`;
    const listeners = { [HTTPS_LISTENER]: new Set(), [HTTP_LISTENER]: new Set() }; // Gateways with a route there
    for (const r of routes) {
      const at = `HTTPRoute/${r.metadata.name}`;
      const rules = r.spec?.rules ?? [];
      const forwards = rules.some((x) => x.backendRefs?.length);
      for (const ref of r.spec?.parentRefs ?? []) {
        if (!ref.sectionName) { p.push(`${at}: parentRef ${gw(ref)} has no sectionName, so it attaches to every listener (plain HTTP too): name the ${forwards ? HTTPS_LISTENER : HTTP_LISTENER} listener`); continue; }
        if (ref.port !== undefined) p.push(`${at}: parentRef ${gw(ref)} also selects port ${ref.port}: the listener's name alone says which`);
        if (!(ref.sectionName in listeners)) { p.push(`${at}: listener ${ref.sectionName} is neither ${HTTPS_LISTENER} nor ${HTTP_LISTENER}`); continue; }
        listeners[ref.sectionName].add(gw(ref));
        if (ref.sectionName === HTTP_LISTENER && forwards) p.push(`${at}: forwards requests that came over plain HTTP (listener ${HTTP_LISTENER}); there, only redirect`);
        if (ref.sectionName === HTTPS_LISTENER && !forwards) p.push(`${at}: on listener ${HTTPS_LISTENER} but forwards nothing`);
      }
      for (const [i, x] of rules.entries()) {
        const filters = x.filters ?? [];
        if (x.backendRefs?.length) {
          // The header of every answer over HTTPS, the service's errors included.
          const hsts = filters.filter((f) => f.type === 'ResponseHeaderModifier').flatMap((f) => f.responseHeaderModifier?.set ?? [])
            .find((h) => h.name?.toLowerCase() === 'strict-transport-security');
          const maxAge = Number(/(?:^|;)\s*max-age\s*=\s*"?(\d+)"?\s*(?:;|$)/i.exec(hsts?.value ?? '')?.[1]);
          if (!hsts) p.push(`${at} rule ${i}: no ResponseHeaderModifier setting Strict-Transport-Security`);
          else if (!(maxAge >= HSTS_MIN_SECONDS)) p.push(`${at} rule ${i}: Strict-Transport-Security "${hsts.value}": want max-age of at least ${HSTS_MIN_SECONDS} s (a year)`);
          continue;
        }
        const redirect = filters.find((f) => f.type === 'RequestRedirect')?.requestRedirect;
        const rest = Object.keys(redirect ?? {}).filter((k) => !['scheme', 'statusCode', 'port'].includes(k));
        if (!redirect || redirect.scheme !== 'https' || redirect.statusCode !== 301 || ![undefined, 443].includes(redirect.port) || rest.length || filters.length !== 1) {
          p.push(`${at} rule ${i}: ${JSON.stringify(filters)}: want only a RequestRedirect to scheme https, statusCode 301, the same host, port and path`);
        }
        if (!(x.matches ?? []).every((m) => Object.keys(m).length === 1 && m.path?.type === 'PathPrefix' && m.path.value === '/')) p.push(`${at} rule ${i}: redirects only ${JSON.stringify(x.matches)}: every path over plain HTTP must be redirected`);
      }
    }
    const service = routes.filter((r) => r.spec?.rules?.some((x) => x.backendRefs?.some((b) => b.name === 'triad')));
    if (!service.length) p.push('no HTTPRoute forwards to Service triad');
    if (!listeners[HTTPS_LISTENER].size) p.push(`no HTTPRoute on a listener ${HTTPS_LISTENER}`);
    for (const g of listeners[HTTPS_LISTENER]) if (!listeners[HTTP_LISTENER].has(g)) p.push(`Gateway ${g}: the service is on its ${HTTPS_LISTENER} listener, but no route redirects its ${HTTP_LISTENER} listener (the overlay patched one route and not the other?)`);
    for (const g of listeners[HTTP_LISTENER]) if (!listeners[HTTPS_LISTENER].has(g)) p.push(`Gateway ${g}: its ${HTTP_LISTENER} listener redirects to a Gateway that does not serve the service`);
    return p;
  },

  'init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres'(objs, f, variant = PLAIN) {
    const p = [];
    // With CloudNativePG the Cluster's bootstrap does its job (the cnpg check compares them).
    if (variant.db === 'cnpg') return ['ConfigMap', 'StatefulSet', 'Service'].map((k) => find(objs, k, k === 'ConfigMap' ? INITDB_NAME : 'postgres')).filter(Boolean).map((o) => `${o.kind}/${o.metadata.name} of the single PostgreSQL is still applied next to the CloudNativePG Cluster`);
    const cm = find(objs, 'ConfigMap', INITDB_NAME);
    const keys = Object.keys(INITDB_FILES);
    if (!cm) p.push(`no ConfigMap ${INITDB_NAME}`);
    for (const key of keys) {
      const have = cm?.data?.[key];
      if (have === undefined) p.push(`ConfigMap ${INITDB_NAME} has no ${key}`);
      else if (Buffer.compare(Buffer.from(have, 'utf8'), Buffer.from(f.initdb[key], 'utf8')) !== 0) p.push(`ConfigMap ${INITDB_NAME} ${key} differs from ${INITDB_FILES[key]}: run make k8s-configmap`);
    }
    const extra = Object.keys(cm?.data ?? {}).filter((k) => !keys.includes(k));
    if (extra.length || cm?.binaryData) p.push(`ConfigMap ${INITDB_NAME} holds more than ${keys.join(', ')}: ${extra.join(', ')}`);
    const ss = find(objs, 'StatefulSet', 'postgres');
    const c = container(ss, 'postgres');
    const m = c?.volumeMounts?.find((x) => x.mountPath === '/docker-entrypoint-initdb.d');
    const v = podSpec(ss)?.volumes?.find((x) => x.name === m?.name);
    if (v?.configMap?.name !== INITDB_NAME) p.push(`postgres does not mount ConfigMap ${INITDB_NAME} at /docker-entrypoint-initdb.d`);
    if (v?.configMap?.items) p.push(`postgres mounts only some keys of ${INITDB_NAME}`);
    // Compose runs the same files under the same names (so in the same order).
    const composeInit = (f.compose.postgres?.volumes ?? []).map(String)
      .map((x) => /^\.\.\/(.+?):\/docker-entrypoint-initdb\.d\/([^:]+)(:ro)?$/.exec(x)).filter(Boolean)
      .map((x) => `${x[2]}=${x[1]}`).sort();
    const want = keys.map((k) => `${k}=${INITDB_FILES[k]}`).sort();
    if (JSON.stringify(composeInit) !== JSON.stringify(want)) p.push(`compose postgres mounts ${JSON.stringify(composeInit)} into /docker-entrypoint-initdb.d, k8s ${JSON.stringify(want)}`);
    return p;
  },

  'migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema'(objs, f) {
    const p = [];
    const job = find(objs, 'Job', MIGRATE_JOB);
    const d = find(objs, 'Deployment', 'triad');
    if (!job) return [`no Job ${MIGRATE_JOB}`];
    const jc = podSpec(job)?.containers ?? [];
    if (jc.length !== 1) p.push(`Job ${MIGRATE_JOB} has ${jc.length} containers`);
    const c = jc[0];
    const tc = container(d, 'triad');
    if (!c || c.image !== tc?.image) p.push(`Job image ${c?.image} != Deployment image ${tc?.image}: the migrations must be those of the version rolled out`);
    if (JSON.stringify(c?.args) !== JSON.stringify(f.compose.migrate?.command) || c?.command) p.push(`Job runs command ${JSON.stringify(c?.command)} args ${JSON.stringify(c?.args)}, Compose's migrate ${JSON.stringify(f.compose.migrate?.command)} (the image's entrypoint with that argument)`);
    const env = containerEnv(objs, c);
    if (env.get('DB_USER')?.value !== f.roles.owner) p.push(`Job DB_USER ${env.get('DB_USER')?.value}, want the owner ${f.roles.owner}`);
    if (env.get('DB_USER')?.value === containerEnv(objs, tc).get('DB_USER')?.value) p.push('Job connects as the service role');
    const src = secretFiles(job, c).get(env.get('DB_PASSWORD_FILE')?.value);
    if (src?.secretName !== ADMIN_SECRET || src?.key !== 'owner-password') p.push(`Job DB_PASSWORD_FILE is not ${ADMIN_SECRET}/owner-password`);
    const ref = env.get('DB_URL')?.valueFrom?.configMapKeyRef;
    const jobUrl = ref ? find(objs, 'ConfigMap', ref.name)?.data?.[ref.key] : env.get('DB_URL')?.value;
    if (!jobUrl || jobUrl !== containerEnv(objs, tc).get('DB_URL')?.value) p.push(`Job DB_URL ${jobUrl} != the service's`);
    const bl = job.spec?.backoffLimit;
    if (!Number.isInteger(bl) || bl < 1 || bl > 6) p.push(`backoffLimit ${bl}: want 1 to 6 (a broken migration fails the same way every time)`);
    if (!Number.isInteger(job.spec?.ttlSecondsAfterFinished) || job.spec.ttlSecondsAfterFinished > 86400) p.push(`ttlSecondsAfterFinished ${job.spec?.ttlSecondsAfterFinished}: want at most a day (a finished Job blocks the next apply)`);
    if (podSpec(job)?.restartPolicy !== 'Never') p.push(`restartPolicy ${podSpec(job)?.restartPolicy}: want Never (each try a new pod, counted by backoffLimit)`);
    const sp = tc?.startupProbe;
    if (sp?.httpGet?.path !== '/health/started' || resolvePort(tc, sp?.httpGet?.port) !== f.api.ports.admin) p.push(`the Deployment's startup probe is not ${'/health/started'} on the admin port (it waits for the schema version)`);
    if ((sp?.periodSeconds ?? 10) * (sp?.failureThreshold ?? 3) < 60) p.push('the startup probe gives the migration less than 60 s');
    return p;
  },

  'PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only'(objs, f, v = PLAIN) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    if (v.db === 'cnpg') return cnpgRoleProblems(objs, f);
    const ss = find(objs, 'StatefulSet', 'postgres');
    const c = container(ss, 'postgres');
    const pg = containerEnv(objs, c);
    const dbUser = containerEnv(objs, container(d, 'triad')).get('DB_USER')?.value;
    const superuser = pg.get('POSTGRES_USER')?.value;
    const { created, owner, app } = f.roles;
    if (!owner || !created.includes(owner)) p.push(`the migrations run as ${owner} (compose migrate DB_USER), not a role db/roles.sh creates`);
    if (owner === dbUser) p.push(`the migrations run as the service's role ${dbUser}`);
    if (app.length !== 1 || !created.includes(app[0])) p.push(`db/migration grants to ${JSON.stringify(app)}, not to one role db/roles.sh creates`);
    if (dbUser !== app[0]) p.push(`DB_USER ${dbUser} is not the role db/migration grants DML to (${app[0]})`);
    if (!superuser || superuser === dbUser || superuser === owner) p.push(`POSTGRES_USER ${superuser} must be a superuser distinct from the service (${dbUser}) and the owner (${owner})`);
    if (f.compose.postgres?.environment?.POSTGRES_USER !== superuser) p.push(`POSTGRES_USER ${superuser} != compose's ${f.compose.postgres?.environment?.POSTGRES_USER}`);
    if (pg.get('POSTGRES_INITDB_ARGS')?.value !== f.compose.postgres?.environment?.POSTGRES_INITDB_ARGS) p.push(`POSTGRES_INITDB_ARGS ${pg.get('POSTGRES_INITDB_ARGS')?.value} != compose's ${f.compose.postgres?.environment?.POSTGRES_INITDB_ARGS}`);
    const files = secretFiles(ss, c);
    for (const [name, secret, key] of [['POSTGRES_PASSWORD_FILE', ADMIN_SECRET, 'postgres-password'], ['TRIAD_OWNER_PASSWORD_FILE', ADMIN_SECRET, 'owner-password'], ['TRIAD_APP_PASSWORD_FILE', SECRET, 'db-password']]) {
      const src = files.get(pg.get(name)?.value);
      if (src?.secretName !== secret || src?.key !== key) p.push(`postgres ${name} is not ${secret}/${key}`);
    }
    for (const w of workloads(objs)) {
      for (const v of podSpec(w)?.volumes ?? []) {
        // The migration Job may read the owner's password, and nothing else of the admin Secret.
        const migrateJob = w.kind === 'Job' && w.metadata.name === MIGRATE_JOB;
        const ownerOnly = JSON.stringify((v.secret?.items ?? []).map((i) => i.key)) === JSON.stringify(['owner-password']);
        if (v.secret?.secretName === ADMIN_SECRET && w !== ss && !(migrateJob && ownerOnly)) p.push(`${w.kind}/${w.metadata.name} mounts ${ADMIN_SECRET}${migrateJob ? ' beyond owner-password' : ''}`);
        if (v.secret?.secretName === SECRET && w === d) {
          const keys = (v.secret.items ?? []).map((i) => i.key).sort();
          if (JSON.stringify(keys) !== JSON.stringify([...SECRET_KEYS].sort())) p.push(`triad mounts ${SECRET} keys ${keys.length ? keys.join(', ') : 'all'}, want only ${SECRET_KEYS.join(', ')}`);
        }
      }
    }
    return p;
  },

  'PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica'(objs, f, v = PLAIN) {
    const p = [];
    if (v.db === 'cnpg') {
      // The operator's image: the same PostgreSQL major version as Compose's.
      const image = objs.find((o) => o.kind === 'Cluster')?.spec?.imageName ?? '';
      const major = (ref) => /:(\d+)(?:[.-]|$)/.exec(ref ?? '')?.[1];
      if (!image || major(image) !== major(f.composeImages.postgres)) p.push(`Cluster imageName ${image} is not PostgreSQL ${major(f.composeImages.postgres)} (compose/compose.yaml runs ${f.composeImages.postgres})`);
      if (/-system-/.test(image)) p.push(`Cluster imageName ${image}: the system images are deprecated (CloudNativePG 1.29); use minimal or standard with the Barman Cloud plugin`);
      return p;
    }
    const ss = find(objs, 'StatefulSet', 'postgres');
    const c = container(ss, 'postgres');
    if (!c?.image || c.image !== f.composeImages.postgres) p.push(`postgres image ${c?.image} != ${f.composeImages.postgres} (compose/compose.yaml)`);
    const env = containerEnv(objs, c);
    if (env.has('POSTGRES_PASSWORD')) p.push('POSTGRES_PASSWORD is set; use POSTGRES_PASSWORD_FILE');
    const src = secretFiles(ss, c).get(env.get('POSTGRES_PASSWORD_FILE')?.value);
    if (src?.secretName !== ADMIN_SECRET || src?.key !== 'postgres-password') p.push(`POSTGRES_PASSWORD_FILE is not ${ADMIN_SECRET}/postgres-password`);
    const claim = ss?.spec?.volumeClaimTemplates?.[0]?.metadata?.name;
    const dataMount = c?.volumeMounts?.find((m) => m.name === claim)?.mountPath;
    if (!claim || !dataMount) p.push('postgres data is no volumeClaimTemplate');
    const pgdata = env.get('PGDATA')?.value ?? '';
    if (!dataMount || !pgdata.startsWith(dataMount.replace(/\/$/, '') + '/')) p.push(`PGDATA ${pgdata} is not a subdirectory of the volume ${dataMount}`);
    for (const dir of ['/var/run/postgresql', '/tmp']) {
      const m = c?.volumeMounts?.find((x) => x.mountPath === dir);
      if (!podSpec(ss)?.volumes?.find((v) => v.name === m?.name)?.emptyDir) p.push(`postgres has no emptyDir at ${dir}`);
    }
    for (const probe of ['readinessProbe', 'livenessProbe']) if (!c?.[probe]) p.push(`postgres has no ${probe}`);
    return p;
  },

  'Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks'(objs, f) {
    const p = [];
    const ss = find(objs, 'StatefulSet', 'redis');
    const c = container(ss, 'redis');
    if (!c?.image || c.image !== f.composeImages.redis) p.push(`redis image ${c?.image} != ${f.composeImages.redis} (compose/compose.yaml)`);
    const cmd = [...(c?.command ?? []), ...(c?.args ?? [])].join(' ');
    if (!/--appendonly yes/.test(cmd)) p.push('redis runs without --appendonly yes');
    const claim = ss?.spec?.volumeClaimTemplates?.[0]?.metadata?.name;
    const dataMount = c?.volumeMounts?.find((m) => m.name === claim)?.mountPath;
    if (!dataMount || !cmd.includes(`--dir ${dataMount}`)) p.push(`redis --dir is not the PVC mount ${dataMount}`);
    const pwFile = [...secretFiles(ss, c)].find(([, s]) => s.secretName === SECRET && s.key === 'redis-password')?.[0];
    if (!pwFile || !cmd.includes(pwFile)) p.push('redis does not read its password from triad-secrets/redis-password');
    if (/--requirepass/.test(cmd)) p.push('the password must not be on the redis-server command line');
    // Bounded memory: Redis evicts (only keys with a TTL) before the kernel kills it.
    const flags = redisFlags(cmd);
    const composeCmd = [].concat(f.compose.redis?.command ?? []).join(' ');
    const composeFlags = redisFlags(composeCmd);
    const limit = parseQuantity(c?.resources?.limits?.memory);
    const maxmemory = parseQuantity(flags.maxmemory);
    if (!(maxmemory > 0 && maxmemory < limit)) p.push(`redis --maxmemory ${flags.maxmemory} is not below the memory limit ${c?.resources?.limits?.memory}`);
    if (!/^volatile-(lru|lfu)$/.test(flags['maxmemory-policy'] ?? '')) p.push(`redis --maxmemory-policy ${flags['maxmemory-policy']} is not volatile-lru/lfu (evict only keys with a TTL, the least used first)`);
    for (const k of ['maxmemory', 'maxmemory-policy']) if (flags[k] !== composeFlags[k]) p.push(`redis --${k} ${flags[k]} != compose's ${composeFlags[k]}`);
    if (!(parseQuantity(composeFlags.maxmemory) < parseQuantity(f.compose.redis?.mem_limit))) p.push(`compose redis --maxmemory ${composeFlags.maxmemory} is not below its mem_limit ${f.compose.redis?.mem_limit}`);
    // The probes log in as the operator's user (compose's health check does the same).
    const adminFile = [...secretFiles(ss, c)].find(([, s]) => s.secretName === REDIS_ADMIN_SECRET && s.key === 'admin-password')?.[0];
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const pc = (c?.[probe]?.exec?.command ?? []).join(' ');
      if (!/redis-cli --user triad-admin/.test(pc) || !adminFile || !pc.includes(adminFile)) p.push(`redis ${probe} is no redis-cli ping as triad-admin with ${REDIS_ADMIN_SECRET}/admin-password`);
    }
    // The ACL users of compose/redis.sh: the default user off, the service's grants the same.
    const serviceUser = (text) => /user triad on >\S+ (resetkeys ~triad:\* resetchannels [^\n'"]*?)(?:\\n)?['"\n]/.exec(text)?.[1]?.trim();
    if (!/user default off/.test(cmd)) p.push('redis: the default user is not off');
    if (serviceUser(cmd) === undefined || serviceUser(cmd) !== serviceUser(f.redisSh)) p.push(`redis: the user triad's grants "${serviceUser(cmd)}" differ from compose/redis.sh's "${serviceUser(f.redisSh)}"`);
    if (!/--enable-debug-command no/.test(cmd)) p.push('redis: DEBUG is not refused (--enable-debug-command no)');
    return p;
  },

  'NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin'(objs, f, v = PLAIN) {
    const p = [];
    const nps = objs.filter((o) => o.kind === 'NetworkPolicy');
    const cluster = objs.find((o) => o.kind === 'Cluster');
    const podLabels = (name) => name === 'postgres' && v.db === 'cnpg' ? cnpgPodLabels(cluster, 'primary')
      : find(objs, name === 'triad' ? 'Deployment' : name === MIGRATE_JOB ? 'Job' : 'StatefulSet', name)?.spec?.template?.metadata?.labels;
    const dd = nps.find((n) => Object.keys(n.spec.podSelector ?? {}).length === 0 && !n.spec.ingress && !n.spec.egress);
    if (!dd || !['Ingress', 'Egress'].every((t) => dd.spec.policyTypes?.includes(t))) p.push('no default-deny (Ingress and Egress) policy for the namespace');
    const ingressRules = (labels) => nps.filter((n) => matches(n.spec.podSelector?.matchLabels, labels) || Object.keys(n.spec.podSelector ?? {}).length === 0)
      .flatMap((n) => n.spec.ingress ?? []);
    const triad = podLabels('triad');
    const migrate = podLabels(MIGRATE_JOB);
    // PostgreSQL also admits the migration Job; Redis the service only. The HA pieces (the
    // instances of CloudNativePG, the Redis replicas and sentinels) need more between themselves:
    // the check of the HA data tier's NetworkPolicies covers those variants.
    for (const [db, port, clients] of [...(v.db === 'cnpg' ? [] : [['postgres', 5432, [triad, migrate]]]), ...(v.redis === 'sentinel' ? [] : [['redis', 6379, [triad]]])]) {
      const rules = ingressRules(podLabels(db));
      if (rules.length === 0) p.push(`${db}: no ingress rule`);
      for (const r of rules) {
        // A peer selects a client, and no other workload's pods.
        const others = workloads(objs).map((w) => w.spec?.template?.metadata?.labels).filter((l) => l && !clients.includes(l));
        const peersOk = r.from?.length > 0 && r.from.every((x) => x.podSelector && !x.namespaceSelector && !x.ipBlock && clients.some((l) => matches(x.podSelector.matchLabels, l))
          && !others.some((l) => matches(x.podSelector.matchLabels, l)));
        if (!peersOk) p.push(`${db}: an ingress rule admits more than the ${clients.length === 1 ? 'triad' : 'triad and migration'} pods: ${JSON.stringify(r.from)}`);
        if (!r.ports?.length || !r.ports.every((x) => x.port === port)) p.push(`${db}: an ingress rule opens ${JSON.stringify(r.ports)}`);
      }
    }
    const tc = container(find(objs, 'Deployment', 'triad'), 'triad');
    const byPort = new Map();
    for (const r of ingressRules(triad)) {
      if (!r.ports?.length) { p.push(`triad: an ingress rule opens every port: ${JSON.stringify(r.from)}`); continue; }
      for (const x of r.ports) {
        const n = resolvePort(tc, x.port);
        byPort.set(n, [...(byPort.get(n) ?? []), ...(r.from ?? [{ everyone: true }])]);
      }
    }
    const onlyNs = (peers, ns) => peers?.length > 0 && peers.every((x) => !x.podSelector && !x.ipBlock && x.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === ns && Object.keys(x.namespaceSelector.matchLabels).length === 1);
    const gatewayNs = find(objs, 'HTTPRoute', 'triad')?.spec?.parentRefs?.[0]?.namespace;
    if (!gatewayNs || !onlyNs(byPort.get(f.api.ports.public), gatewayNs)) p.push(`triad ${f.api.ports.public}: admits ${JSON.stringify(byPort.get(f.api.ports.public))}, want only namespace ${gatewayNs}, the Gateway's of the HTTPRoute`);
    if (!onlyNs(byPort.get(f.api.ports.admin), 'monitoring')) p.push(`triad ${f.api.ports.admin}: admits ${JSON.stringify(byPort.get(f.api.ports.admin))}, want namespace monitoring only`);
    for (const port of byPort.keys()) if (![f.api.ports.public, f.api.ports.admin].includes(port)) p.push(`triad: ingress opened on port ${port}`);
    // triad must be able to reach both databases (default deny covers egress)
    const egress = nps.filter((n) => matches(n.spec.podSelector?.matchLabels, triad)).flatMap((n) => n.spec.egress ?? []);
    for (const [db, port] of [['postgres', 5432], ['redis', 6379]]) {
      if (!egress.some((r) => r.ports?.some((x) => x.port === port) && r.to?.some((x) => matches(x.podSelector?.matchLabels, podLabels(db))))) p.push(`triad: no egress to ${db}:${port}`);
    }
    // The migration Job: PostgreSQL only (DNS from the namespace-wide rule), and no ingress.
    if (migrate) {
      const own = nps.filter((n) => matches(n.spec.podSelector?.matchLabels, migrate));
      const out = own.flatMap((n) => n.spec.egress ?? []);
      if (!out.some((r) => r.ports?.some((x) => x.port === 5432) && r.to?.some((x) => matches(x.podSelector?.matchLabels, podLabels('postgres'))))) p.push(`${MIGRATE_JOB}: no egress to postgres:5432`);
      for (const r of out) {
        if (!r.to?.length || !r.to.every((x) => matches(x.podSelector?.matchLabels, podLabels('postgres'))) || !r.ports?.every((x) => x.port === 5432)) p.push(`${MIGRATE_JOB}: egress beyond postgres:5432: ${JSON.stringify(r)}`);
      }
      if (own.flatMap((n) => n.spec.ingress ?? []).length) p.push(`${MIGRATE_JOB}: admits ingress`);
    } else p.push(`no Job ${MIGRATE_JOB}`);
    return p;
  },

  'NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod'(objs) {
    const p = [];
    const nps = objs.filter((o) => o.kind === 'NetworkPolicy');
    const dnsPeer = (x) => !x.ipBlock && !x.namespaceSelector?.matchExpressions && !x.podSelector?.matchExpressions
      && isDeepStrictEqual(x.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': DNS_NAMESPACE })
      && isDeepStrictEqual(x.podSelector?.matchLabels, DNS_POD_LABELS);
    // A rule with no ports admits every port; a port entry without port every port of its
    // protocol; endPort a range; a named port whatever the peer calls it (so possibly 53).
    const admits53 = (r) => !r.ports?.length || r.ports.some((x) => x.port === undefined || x.port === 53 || typeof x.port === 'string' || (x.endPort !== undefined && x.port <= 53 && 53 <= x.endPort));
    const toDns = new Set();
    for (const n of nps) for (const [i, r] of (n.spec.egress ?? []).entries()) {
      if (!admits53(r)) continue;
      const at = `NetworkPolicy/${n.metadata.name} egress ${i}`;
      if (!r.to?.length) { p.push(`${at}: admits port 53 (DNS) to every address: ${JSON.stringify(r.ports ?? 'every port')}`); continue; }
      const others = r.to.filter((x) => !dnsPeer(x));
      if (others.length) p.push(`${at}: admits port 53 (DNS) to ${JSON.stringify(others)}, not only the cluster DNS pods (namespace ${DNS_NAMESPACE}, ${JSON.stringify(DNS_POD_LABELS)})`);
      if (!r.ports?.length || r.ports.some((x) => x.port !== 53 || x.endPort !== undefined)) p.push(`${at}: opens more than port 53 to the DNS pods: ${JSON.stringify(r.ports ?? 'every port')}`);
      if (!others.length && Object.keys(n.spec.podSelector ?? {}).length === 0 && n.spec.policyTypes?.includes('Egress')) for (const x of r.ports ?? []) toDns.add(x.protocol ?? 'TCP');
    }
    // Every pod resolves names (the namespace denies all egress): UDP, and TCP for long answers.
    for (const proto of ['UDP', 'TCP']) if (!toDns.has(proto)) p.push(`no policy for every pod of the namespace admits ${proto} 53 to the cluster DNS pods`);
    return p;
  },

  'CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port'(objs, f, v = PLAIN) {
    const clusters = clusterOf(objs);
    if (v.db !== 'cnpg') return clusters.map((c) => `Cluster/${c.metadata.name} in a variant with the single PostgreSQL`);
    const p = [];
    if (clusters.length !== 1) return [`${clusters.length} CloudNativePG Clusters, want 1`];
    const [c] = clusters;
    const sp = c.spec ?? {};
    if (sp.instances !== 3) p.push(`instances ${sp.instances}, not 3 (a primary and two standbys)`);
    const sync = sp.postgresql?.synchronous;
    if (!sync || !['any', 'first'].includes(sync.method) || !(sync.number >= 1) || !(sync.number <= sp.instances - 2)) p.push(`synchronous ${JSON.stringify(sync)}: want method any/first with 1 <= number <= instances - 2 (a standby may be down without stopping writes)`);
    if (sync?.dataDurability !== 'required') p.push(`synchronous.dataDurability ${sync?.dataDurability}: want required (an acknowledged write is on a standby, or it waits)`);
    const aff = sp.affinity ?? {};
    if (aff.enablePodAntiAffinity === false || aff.podAntiAffinityType !== 'required' || (aff.topologyKey ?? 'kubernetes.io/hostname') !== 'kubernetes.io/hostname') p.push(`affinity ${JSON.stringify(aff)}: want required anti-affinity on kubernetes.io/hostname`);
    for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (!sp.resources?.[k]?.[r]) p.push(`no ${r} ${k}`);
    if (parseQuantity(sp.resources?.requests?.memory) !== parseQuantity(sp.resources?.limits?.memory)) p.push('memory request != limit: PostgreSQL above its request is the first the kernel kills under memory pressure (CloudNativePG recommends requests = limits)');
    if (!sp.storage?.size) p.push('no storage size');
    const rw = rwService(c);
    const svcEnv = containerEnv(objs, container(find(objs, 'Deployment', 'triad'), 'triad'));
    const job = find(objs, 'Job', MIGRATE_JOB);
    const jobEnv = containerEnv(objs, podSpec(job)?.containers?.[0]);
    const ref = jobEnv.get('DB_URL')?.valueFrom?.configMapKeyRef;
    const urls = [['the service', svcEnv.get('DB_URL')?.value], ['the migration Job', ref ? find(objs, 'ConfigMap', ref.name)?.data?.[ref.key] : jobEnv.get('DB_URL')?.value]];
    for (const [who, url] of urls) {
      const u = parseUrl(url);
      const [host, ns = NS, svc] = String(u?.hostname).split('.');
      if (!u || u.protocol !== 'postgresql:') { p.push(`${who}: DB_URL ${url} is not a PostgreSQL JDBC URL`); continue; }
      if (host !== rw || ns !== NS || (svc !== undefined && svc !== 'svc') || u.hostname.includes(',')) p.push(`${who}: DB_URL host ${u.hostname} is not the Cluster's read-write Service ${rw}`);
      if (Number(u.port || 5432) !== 5432) p.push(`${who}: DB_URL port ${u.port} is not 5432`);
      if (u.pathname.slice(1) !== sp.bootstrap?.initdb?.database) p.push(`${who}: DB_URL database ${u.pathname.slice(1)} is not the Cluster's ${sp.bootstrap?.initdb?.database}`);
      if (u.searchParams.get('targetServerType') !== 'primary') p.push(`${who}: DB_URL without targetServerType=primary`);
    }
    if (v.monitoring) {
      const pm = objs.filter((o) => o.kind === 'PodMonitor' && selects(o.spec?.selector, cnpgPodLabels(c, 'replica')) && selects(o.spec?.selector, cnpgPodLabels(c, 'primary')));
      if (pm.length !== 1) p.push(`${pm.length} PodMonitors select every instance of ${c.metadata.name} (want 1, CloudNativePG's recommended way since enablePodMonitor is deprecated)`);
      else if (JSON.stringify(pm[0].spec.podMetricsEndpoints?.map((e) => e.port)) !== '["metrics"]') p.push(`PodMonitor/${pm[0].metadata.name} scrapes ${JSON.stringify(pm[0].spec.podMetricsEndpoints)}, want port metrics`);
      if (sp.monitoring?.enablePodMonitor) p.push('spec.monitoring.enablePodMonitor is deprecated: the PodMonitor is ours');
    }
    return p;
  },

  'backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin'(objs, f, v = PLAIN) {
    const stores = objs.filter((o) => o.kind === 'ObjectStore');
    const scheduled = objs.filter((o) => o.kind === 'ScheduledBackup');
    if (v.db !== 'cnpg') return [...stores, ...scheduled].map((o) => `${o.kind}/${o.metadata.name} without a CloudNativePG Cluster`);
    const p = [];
    const [c] = clusterOf(objs);
    if (!c) return ['no Cluster'];
    if (c.spec.backup?.barmanObjectStore) p.push('spec.backup.barmanObjectStore is deprecated since CloudNativePG 1.26: use the Barman Cloud plugin');
    const plugins = (c.spec.plugins ?? []).filter((x) => x.name === BARMAN_PLUGIN && x.enabled !== false);
    if (plugins.length !== 1 || plugins[0].isWALArchiver !== true) p.push(`the Cluster has no ${BARMAN_PLUGIN} plugin as its WAL archiver`);
    const store = find(objs, 'ObjectStore', plugins[0]?.parameters?.barmanObjectName);
    if (!store) p.push(`the plugin names ObjectStore ${plugins[0]?.parameters?.barmanObjectName}, which is not applied`);
    else {
      const days = /^(\d+)([dwm])$/.exec(store.spec.retentionPolicy ?? '');
      if (!days) p.push(`ObjectStore/${store.metadata.name} has no retention policy`);
      else if (Number(days[1]) * { d: 1, w: 7, m: 30 }[days[2]] < 7) p.push(`retention ${store.spec.retentionPolicy}: less than a week to notice a mistake in`);
      const cfg = store.spec.configuration ?? {};
      if (!cfg.destinationPath) p.push('ObjectStore has no destinationPath');
      const creds = cfg.s3Credentials ?? cfg.azureCredentials ?? cfg.googleCredentials;
      const refs = creds ? Object.values(creds).filter((x) => x && typeof x === 'object' && 'name' in x) : [];
      if (!refs.length && !creds?.inheritFromIAMRole && !creds?.inheritFromAzureAD && !creds?.gkeEnvironment) p.push('ObjectStore credentials come from no Secret');
      for (const r of refs) if ([SECRET, ADMIN_SECRET].includes(r.name)) p.push(`the object store's credentials are in ${r.name}, a Secret of the service: use their own`);
    }
    const mine = scheduled.filter((b) => b.spec?.cluster?.name === c.metadata.name);
    if (mine.length === 0) p.push(`no ScheduledBackup of Cluster ${c.metadata.name}`);
    for (const b of scheduled) {
      if (b.spec?.cluster?.name !== c.metadata.name) p.push(`ScheduledBackup/${b.metadata.name} backs up ${b.spec?.cluster?.name}, not ${c.metadata.name}`);
      if (b.spec?.method !== 'plugin' || b.spec?.pluginConfiguration?.name !== BARMAN_PLUGIN) p.push(`ScheduledBackup/${b.metadata.name}: method ${b.spec?.method} ${b.spec?.pluginConfiguration?.name ?? ''}, want plugin ${BARMAN_PLUGIN}`);
      if (String(b.spec?.schedule ?? '').trim().split(/\s+/).length !== 6) p.push(`ScheduledBackup/${b.metadata.name}: schedule "${b.spec?.schedule}" is not six fields (CloudNativePG's cron has seconds first)`);
    }
    return p;
  },

  'Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret'(objs, f, v = PLAIN) {
    const sentinel = find(objs, 'StatefulSet', 'redis-sentinel');
    if (v.redis !== 'sentinel') return sentinel ? ['StatefulSet/redis-sentinel in a single-Redis variant'] : [];
    const p = [];
    const data = find(objs, 'StatefulSet', 'redis');
    if (!sentinel) return ['no StatefulSet redis-sentinel'];
    if (sentinel.spec.replicas !== 3) p.push(`sentinels: ${sentinel.spec.replicas}, want 3`);
    if (data?.spec?.replicas !== 3) p.push(`data nodes: ${data?.spec?.replicas}, want 3 (a primary and 2 replicas)`);
    for (const ss of [sentinel, data]) if (ss?.spec?.podManagementPolicy !== 'Parallel') p.push(`${ss?.metadata?.name}: podManagementPolicy ${ss?.spec?.podManagementPolicy ?? 'OrderedReady'}: a lost pod 0 would keep the others from being re-created`);
    for (const ss of [sentinel, data]) {
      const terms = podSpec(ss)?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      if (!terms.some((t) => t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector, ss.spec.template.metadata.labels))) p.push(`${ss?.metadata?.name}: no required anti-affinity across nodes`);
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec?.selector, ss?.spec?.template?.metadata?.labels));
      if (!pdb || !(pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable === 2)) p.push(`${ss?.metadata?.name}: no PodDisruptionBudget keeping 2 of 3`);
    }
    const sc = container(sentinel, 'sentinel');
    const script = [...(sc?.command ?? []), ...(sc?.args ?? [])].join('\n');
    if (!sc?.image || sc.image !== f.composeImages.redis) p.push(`sentinel image ${sc?.image} != ${f.composeImages.redis} (compose/compose.yaml's redis, whose redis-sentinel the HA profile runs)`);
    const cm = find(objs, 'ConfigMap', 'triad-config');
    const master = cm?.data?.REDIS_MASTER_NAME;
    const svcEnv = containerEnv(objs, container(find(objs, 'Deployment', 'triad'), 'triad'));
    if (!master || svcEnv.get('REDIS_MASTER_NAME')?.value !== master) p.push(`the service's REDIS_MASTER_NAME ${svcEnv.get('REDIS_MASTER_NAME')?.value} is not triad-config's ${master}`);
    // One place for the master name: the sentinels and data nodes read it from triad-config.
    for (const [who, c] of [['sentinel', sc], ['redis', container(data, 'redis')]]) {
      const ref = (c?.env ?? []).find((e) => e.name === 'REDIS_MASTER_NAME')?.valueFrom?.configMapKeyRef;
      if (ref?.name !== 'triad-config' || ref?.key !== 'REDIS_MASTER_NAME') p.push(`${who}: REDIS_MASTER_NAME does not come from triad-config`);
    }
    const monitors = [...script.matchAll(/sentinel monitor (\S+) (\S+) (\d+) (\d+)/g)];
    if (monitors.length !== 1 || monitors[0][1] !== '$REDIS_MASTER_NAME') p.push(`the sentinels monitor ${monitors.map((m) => m[1]).join(', ') || 'nothing'}, not $REDIS_MASTER_NAME`);
    else if (Number(monitors[0][4]) !== 2) p.push(`quorum ${monitors[0][4]}, want 2 of 3`);
    for (const m of ['auth-pass', 'down-after-milliseconds', 'failover-timeout', 'parallel-syncs']) {
      for (const x of script.matchAll(new RegExp(`sentinel ${m} (\\S+)`, 'g'))) if (x[1] !== '$REDIS_MASTER_NAME') p.push(`sentinel ${m} for ${x[1]}, not the monitored master`);
    }
    for (const line of ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes', 'user default off', 'sentinel sentinel-user triad-sentinel', 'sentinel auth-user $REDIS_MASTER_NAME triad-sentinel']) if (!script.includes(line)) p.push(`the sentinel configuration lacks "${line}"`);
    const conf = /cat > (\S+) <</.exec(script)?.[1];
    const mount = (sc?.volumeMounts ?? []).find((m) => conf?.startsWith(m.mountPath.replace(/\/$/, '') + '/'));
    if (!conf || !podSpec(sentinel).volumes?.find((x) => x.name === mount?.name)?.emptyDir || !script.includes(`exec redis-server ${conf} --sentinel`)) p.push('the sentinel does not run from a configuration rendered into an emptyDir (a sentinel rewrites its file)');
    const pwFile = [...secretFiles(sentinel, sc)].find(([, x]) => x.secretName === SECRET && x.key === 'redis-password')?.[0];
    if (!pwFile || !script.includes(pwFile)) p.push('the sentinels do not read the password from triad-secrets/redis-password');
    // REDIS_SENTINELS: each sentinel pod's stable name, through the headless Service, on its port.
    const svc = find(objs, 'Service', sentinel.spec.serviceName);
    const port = svc?.spec?.ports?.find((x) => resolvePort(sc, x.targetPort ?? x.port) !== undefined)?.port;
    const want = Array.from({ length: sentinel.spec.replicas }, (_, i) => `${sentinel.metadata.name}-${i}.${svc?.metadata?.name}.${NS}.svc:${port}`);
    const have = String(svcEnv.get('REDIS_SENTINELS')?.value ?? '').split(',').map((x) => x.trim());
    if (JSON.stringify(have) !== JSON.stringify(want)) p.push(`REDIS_SENTINELS ${have.join(',')} != ${want.join(',')} (every sentinel pod, its headless Service, port ${port})`);
    if (svc?.spec?.clusterIP !== 'None' || svc?.spec?.publishNotReadyAddresses !== true) p.push(`Service ${svc?.metadata?.name} is not headless with publishNotReadyAddresses (sentinels must find each other before they are ready)`);
    const dataScript = [...(container(data, 'redis')?.args ?? [])].join('\n');
    for (const line of ['masteruser triad-replica', 'masterauth', 'replica-announce-ip', 'replicaof', 'user triad-sentinel on', 'user triad-replica on']) if (!dataScript.includes(line)) p.push(`the data nodes' configuration lacks ${line}`);
    return p;
  },

  'NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more'(objs, f, v = PLAIN) {
    if (v.db !== 'cnpg' || v.redis !== 'sentinel') return [];
    const nps = objs.filter((o) => o.kind === 'NetworkPolicy');
    const [c] = clusterOf(objs);
    const labels = (kind, name) => find(objs, kind, name)?.spec?.template?.metadata?.labels;
    const tc = container(find(objs, 'Deployment', 'triad'), 'triad');
    const gatewayNs = find(objs, 'HTTPRoute', 'triad')?.spec?.parentRefs?.[0]?.namespace;
    const pods = {
      triad: { ns: NS, labels: labels('Deployment', 'triad'), ports: Object.fromEntries((tc?.ports ?? []).map((x) => [x.name, x.containerPort])) },
      migrate: { ns: NS, labels: labels('Job', MIGRATE_JOB) },
      'pg-primary': { ns: NS, labels: cnpgPodLabels(c, 'primary') },
      'pg-replica': { ns: NS, labels: cnpgPodLabels(c, 'replica') },
      redis: { ns: NS, labels: labels('StatefulSet', 'redis') },
      sentinel: { ns: NS, labels: labels('StatefulSet', 'redis-sentinel') },
      operator: { ns: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
      prometheus: { ns: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
      gateway: { ns: gatewayNs, labels: { app: 'gateway-proxy' } },
      'other-namespace': { ns: 'elsewhere', labels: { app: 'x' } },
      internet: { ip: '203.0.113.7' },
    };
    const ports = [5432, 8000, 9187, 6379, 26379, 8080, 8081, 443, 6443];
    const want = new Set([
      'triad>pg-primary:5432', 'migrate>pg-primary:5432',
      ...['pg-primary', 'pg-replica'].flatMap((a) => ['pg-primary', 'pg-replica'].flatMap((b) => [`${a}>${b}:5432`, `${a}>${b}:8000`])),
      ...['pg-primary', 'pg-replica'].flatMap((x) => [`operator>${x}:8000`, `operator>${x}:5432`, `prometheus>${x}:9187`, `${x}>internet:443`, `${x}>internet:6443`]),
      'triad>redis:6379', 'triad>sentinel:26379', 'redis>redis:6379', 'sentinel>redis:6379', 'redis>sentinel:26379', 'sentinel>sentinel:26379',
      'gateway>triad:8080', 'prometheus>triad:8081',
      // The token issuer's key set (components/auth), outside the cluster.
      ...(find(objs, 'NetworkPolicy', 'triad-auth-issuer') ? ['triad>internet:443'] : []),
    ]);
    // The instances admit the service and the Job on 5432 whichever is primary (roles move);
    // it is their egress that keeps them to the primary.
    const wantIngress = new Set([...want, 'triad>pg-replica:5432', 'migrate>pg-replica:5432']);
    const p = [];
    const ours = (x) => x.ns === NS && !x.ip;
    for (const [a, from] of Object.entries(pods)) for (const [b, to] of Object.entries(pods)) {
      if (!ours(from) && !ours(to)) continue; // neither end is ours
      for (const port of ports) {
        const k = `${a}>${b}:${port}`;
        const both = npAllows(nps, from, to, port);
        if (both && !want.has(k)) p.push(`admits ${k}, which nothing needs`);
        if (!both && want.has(k)) p.push(`blocks ${k}, which is needed`);
        // Each side tight by itself: ingress of our pods, egress of our pods.
        if (ours(to) && npAllows(nps, from, to, port, { ingress: true }) && !wantIngress.has(k)) p.push(`ingress of ${b} admits ${k}, which nothing needs`);
        if (ours(from) && npAllows(nps, from, to, port, { egress: true }) && !want.has(k)) p.push(`egress of ${a} admits ${k}, which nothing needs`);
      }
    }
    return p;
  },

  'monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)'(objs, f, v = PLAIN) {
    const p = [];
    const pm = objs.filter((o) => o.kind === 'PodMonitor');
    const rules = objs.filter((o) => o.kind === 'PrometheusRule');
    if (!v.monitoring) return [...pm, ...rules].map((o) => `${o.kind}/${o.metadata.name} in a variant without the monitoring component`);
    const d = find(objs, 'Deployment', 'triad');
    const c = container(d, 'triad');
    const mon = find(objs, 'PodMonitor', 'triad');
    if (!mon) return ['no PodMonitor triad'];
    if (!matches(mon.spec.selector?.matchLabels, d?.spec?.template?.metadata?.labels)) p.push('PodMonitor selects no triad pod');
    const eps = mon.spec.podMetricsEndpoints ?? [];
    if (eps.length !== 1) p.push(`PodMonitor has ${eps.length} endpoints`);
    for (const e of eps) {
      if (resolvePort(c, e.port) !== f.api.ports.admin) p.push(`PodMonitor port ${e.port} is not the admin port ${f.api.ports.admin}`);
      if ((e.path ?? '/metrics') !== f.api.admin.metrics) p.push(`PodMonitor path ${e.path} != ${f.api.admin.metrics}`);
    }
    const job = `${mon.metadata.namespace}/${mon.metadata.name}`;
    const all = rules.flatMap((r) => r.spec.groups ?? []).flatMap((g) => g.rules ?? []);
    const alerts = all.filter((r) => r.alert);
    // A recorded series may be named like a metric: it was restricted to the job where recorded.
    const recorded = new Map(all.filter((r) => r.record).map((r) => [r.record, r]));
    if (alerts.length === 0) p.push('no alert rule');
    for (const a of all) {
      const name = a.alert ?? a.record;
      if (!name || (a.alert && a.record)) { p.push(`a rule with ${name ? 'both alert and record' : 'neither alert nor record'}: ${JSON.stringify(a)}`); continue; }
      const expr = String(a.expr);
      const { error, selectors } = promql(expr);
      if (error) { p.push(`${name}: not valid PromQL: ${error}`); continue; }
      if (selectors.length === 0) p.push(`${name}: names no metric`);
      for (const { name: metric, text, matchers } of selectors) {
        if (recorded.has(metric) && metric !== name) continue;
        if (!f.metrics.has(metric)) p.push(`${name}: ${metric} is no metric the service exports (src/main/java) nor a series another rule here records`);
        const jobs = matchers.filter((m) => m.label === 'job');
        if (jobs.length !== 1 || jobs[0].op !== '=' || jobs[0].value !== job) p.push(`${name}: selector ${text} is not restricted to job="${job}" (the PodMonitor's)`);
        for (const m of matchers.filter((x) => x.label === 'status')) {
          const values = m.op.endsWith('~') ? String(m.value).split('|') : [m.value];
          if (!values.every((x) => STATUS_CLASSES.includes(x))) p.push(`${name}: ${text}: status${m.op}${JSON.stringify(m.value)} is not a status class; the service labels status with ${STATUS_CLASSES.join(', ')} (5xx, not 5.. or 500)`);
        }
      }
      if (!a.alert) continue;
      if (!a.for) p.push(`${name}: no "for" (fires on a single scrape)`);
      if (!a.labels?.severity) p.push(`${name}: no severity label`);
      if (!a.annotations?.summary) p.push(`${name}: no summary`);
    }
    // An alert's expression with the expressions of the series it reads that rules record.
    const expand = (expr, seen = new Set()) => [expr, ...(promql(expr).selectors ?? [])
      .filter((s) => recorded.has(s.name) && !seen.has(s.name) && seen.add(s.name))
      .map((s) => expand(String(recorded.get(s.name).expr), seen))].join('\n');
    const want = ['instance down', '5xx ratio', 'p99 latency', 'cache bypass'];
    const has = {
      'instance down': alerts.some((a) => /\bup\{[^}]*\}\s*==\s*0/.test(a.expr)),
      '5xx ratio': alerts.map((a) => expand(String(a.expr))).some((x) => /\bstatus="5xx"/.test(x) && /\//.test(x)),
      'p99 latency': alerts.some((a) => /histogram_quantile\(0\.99\b/.test(expand(String(a.expr)))),
      'cache bypass': alerts.some((a) => /triad_cache_bypasses_total/.test(expand(String(a.expr)))),
    };
    for (const w of want) if (!has[w]) p.push(`no ${w} alert`);
    return p;
  },

  'PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged'(objs, f, v = PLAIN) {
    let want;
    try { want = renderPrometheusRule(f.rules.source); } catch (e) { return [`${RULES_SOURCE} does not render: ${e.message}`]; }
    const p = [];
    if (want !== f.rules.committed) {
      const a = f.rules.committed.split('\n'), b = want.split('\n');
      let at = 0;
      while (a[at] === b[at]) at++;
      p.push(`k8s/components/monitoring/prometheusrule.yaml differs from the render of ${RULES_SOURCE} at line ${at + 1} (${JSON.stringify(a[at])}, want ${JSON.stringify(b[at])}): run make k8s-rules`);
    }
    // What an overlay applies is that file, not a patched copy.
    const applied = find(objs, 'PrometheusRule', RULE_NAME);
    if (v.monitoring && !isDeepStrictEqual(applied?.spec, YAML.parse(want).spec)) p.push(`PrometheusRule/${RULE_NAME} as applied is not the generated one (patched, or missing)`);
    return p;
  },
};
