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
export const MIGRATE_JOB = 'triad-migrate';
// What a variant (lib/variants.mjs) is meant to be; the plain directory by default.
const PLAIN = { ha: true, image: 'tag', monitoring: false };
// The values of the service's status label: a class, never a code (RequestMetrics.statusClass).
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'];

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

  'triad environment: only variables of API.md, wired to the right places'(objs, f) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
    const c = container(d, 'triad');
    const env = containerEnv(objs, c);
    for (const name of env.keys()) if (!f.api.variables.has(name)) p.push(`${name} is not a variable of the API.md configuration table`);
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
    for (const [name, svcName, scheme] of [['DB_URL', 'postgres', 'postgresql:'], ['REDIS_URL', 'redis', 'redis:']]) {
      const u = parseUrl(env.get(name)?.value);
      if (!u || u.protocol !== scheme) { p.push(`${name}=${env.get(name)?.value} is not a ${scheme} URL`); continue; }
      const svc = serviceOf(objs, u.hostname);
      if (!svc || svc.metadata.name !== svcName) { p.push(`${name} host ${u.hostname} is not the Service ${svcName}`); continue; }
      if (!svc.spec.ports.some((x) => x.port === Number(u.port))) p.push(`${name} port ${u.port} is not a port of Service ${svcName}`);
    }
    const dbUrl = parseUrl(env.get('DB_URL')?.value);
    const pg = containerEnv(objs, container(find(objs, 'StatefulSet', 'postgres'), 'postgres'));
    if (dbUrl && dbUrl.pathname.slice(1) !== pg.get('POSTGRES_DB')?.value) p.push(`DB_URL database ${dbUrl.pathname.slice(1)} != POSTGRES_DB ${pg.get('POSTGRES_DB')?.value}`);
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

  'init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres'(objs, f) {
    const p = [];
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

  'PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only'(objs, f) {
    const p = [];
    const d = find(objs, 'Deployment', 'triad');
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

  'PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica'(objs, f) {
    const p = [];
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
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const pc = (c?.[probe]?.exec?.command ?? []).join(' ');
      if (!/redis-cli/.test(pc) || !pwFile || !pc.includes(pwFile)) p.push(`redis ${probe} is no authenticated redis-cli ping`);
    }
    return p;
  },

  'NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin'(objs, f) {
    const p = [];
    const nps = objs.filter((o) => o.kind === 'NetworkPolicy');
    const podLabels = (name) => find(objs, name === 'triad' ? 'Deployment' : name === MIGRATE_JOB ? 'Job' : 'StatefulSet', name)?.spec?.template?.metadata?.labels;
    const dd = nps.find((n) => Object.keys(n.spec.podSelector ?? {}).length === 0 && !n.spec.ingress && !n.spec.egress);
    if (!dd || !['Ingress', 'Egress'].every((t) => dd.spec.policyTypes?.includes(t))) p.push('no default-deny (Ingress and Egress) policy for the namespace');
    const ingressRules = (labels) => nps.filter((n) => matches(n.spec.podSelector?.matchLabels, labels) || Object.keys(n.spec.podSelector ?? {}).length === 0)
      .flatMap((n) => n.spec.ingress ?? []);
    const triad = podLabels('triad');
    const migrate = podLabels(MIGRATE_JOB);
    // PostgreSQL also admits the migration Job; Redis the service only.
    for (const [db, port, clients] of [['postgres', 5432, [triad, migrate]], ['redis', 6379, [triad]]]) {
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
