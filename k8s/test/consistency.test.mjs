// (2) The manifests agree with their sources: API.md (ports, admin endpoints, variables),
// pom.xml (image), nginx/ (limits), db/migration (schema); and with the requirements.
// Each check also runs on a copy broken on purpose and must then report a problem,
// so that none of them can pass by accident.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadFacts, parseApiMd, parsePom, parseMetrics, nginxSeconds, nginxSize, isoSeconds, gatewaySeconds } from './lib/facts.mjs';
import { checks, find, promql, rolesShGrants, npAllows } from './lib/checks.mjs';
import { VARIANTS, objectsOf } from './lib/variants.mjs';
import { renderPrometheusRule } from './lib/prometheusrule.mjs';
import YAML from 'yaml';

const variant = Object.fromEntries(VARIANTS.map((v) => [v.id, v]));
const objs = objectsOf(variant.plain);
const facts = loadFacts();

const clone = (id = 'plain') => ({ objs: structuredClone(objectsOf(variant[id])), facts: structuredClone(facts) });
const dep = (o) => find(o, 'Deployment', 'triad');
const triad = (o) => dep(o).spec.template.spec.containers[0];
const cm = (o) => find(o, 'ConfigMap', 'triad-config');
const ss = (o, n) => find(o, 'StatefulSet', n);
const route = (o) => find(o, 'HTTPRoute', 'triad');
const redirect = (o) => find(o, 'HTTPRoute', 'triad-https-redirect');
const rule = (o) => find(o, 'PrometheusRule', 'triad');
const ruleList = (o) => rule(o).spec.groups.flatMap((g) => g.rules);
const alert = (o, name) => ruleList(o).find((r) => r.alert === name);
const recording = (o, name) => ruleList(o).find((r) => r.record === name);
const alertGroup = (o, name) => rule(o).spec.groups.find((g) => g.rules.some((r) => r.alert === name));
const np = (o, n) => find(o, 'NetworkPolicy', n);
const cluster = (o) => find(o, 'Cluster', 'triad-db');

for (const v of VARIANTS) {
  describe(`consistency with the contract and the other sources: ${v.name}`, () => {
    for (const [name, check] of Object.entries(checks)) {
      test(name, () => assert.deepEqual(check(objectsOf(v), facts, v), []));
    }
  });
}

// [check, what breaks, mutation(objs, facts)]
const breakages = [
  ['Namespace triad is the first object applied, everything else is in it', 'namespace sorts after another file', (o) => o.push(o.shift())],
  ['Namespace triad is the first object applied, everything else is in it', 'an object in default', (o) => { cm(o).metadata.namespace = 'default'; }],
  ['every object has the app.kubernetes.io labels', 'a pod template without component', (o) => { delete ss(o, 'redis').spec.template.metadata.labels['app.kubernetes.io/component']; }],
  ['no Secret is applied by kubectl apply -f k8s/ (the user creates triad-secrets)', 'a Secret at the top level', (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triad-secrets', namespace: 'triad' } })],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'pom version bumped', (o, f) => { f.pom = parsePom(`<project><version>1.0.1</version><properties><image.name>triad</image.name></properties></project>`); }],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'image tag latest', (o) => { triad(o).image = 'triad:latest'; }],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'another user', (o) => { dep(o).spec.template.spec.securityContext.runAsUser = 1000; }],
  ['triad container ports are the public and admin ports of API.md', 'admin port moved in API.md', (o, f) => { f.api.ports.admin = 9090; }],
  ['triad container ports are the public and admin ports of API.md', 'extra port', (o) => { triad(o).ports.push({ name: 'debug', containerPort: 5005 }); }],
  ['triad probes are the admin endpoints of API.md on the admin port', 'readiness on /health', (o) => { triad(o).readinessProbe.httpGet.path = '/health'; }],
  ['triad probes are the admin endpoints of API.md on the admin port', 'liveness on the public port', (o) => { triad(o).livenessProbe.httpGet.port = 'http'; }],
  ['triad probes are the admin endpoints of API.md on the admin port', 'API.md renames startup path', (o, f) => { f.api.admin.started = '/health/startup'; }],
  ['Prometheus annotations point at the metrics endpoint of API.md', 'metrics path changed in API.md', (o, f) => { f.api.admin.metrics = '/observe/metrics'; }],
  ['Prometheus annotations point at the metrics endpoint of API.md', 'scrape on the public port', (o) => { dep(o).spec.template.metadata.annotations['prometheus.io/port'] = '8080'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'a variable the service does not read', (o) => { cm(o).data.JAVA_OPTS = '-Xmx256m'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'API.md drops DB_POOL_SIZE', (o, f) => { f.api.variables.delete('DB_POOL_SIZE'); }],
  ['triad environment: only variables of API.md, wired to the right places', 'password as a literal', (o) => { cm(o).data.DB_PASSWORD = 'secret'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'password file not mounted', (o) => { cm(o).data.REDIS_PASSWORD_FILE = '/etc/redis-password'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'INSTANCE_ID constant', (o) => { triad(o).env = [{ name: 'INSTANCE_ID', value: 'web1' }]; }],
  ['triad environment: only variables of API.md, wired to the right places', 'DB_URL to a wrong host', (o) => { cm(o).data.DB_URL = 'jdbc:postgresql://db:5432/triad'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'REDIS_URL wrong port', (o) => { cm(o).data.REDIS_URL = 'redis://redis.triad.svc:6380'; }],
  ['triad environment: only variables of API.md, wired to the right places', 'ADMIN_PORT differs from the container port', (o) => { cm(o).data.ADMIN_PORT = '9000'; }],
  ['graceful shutdown: preStop + SHUTDOWN_GRACE fit in terminationGracePeriodSeconds, no unavailable pod on rollout', 'grace longer than the pod gets', (o) => { cm(o).data.SHUTDOWN_GRACE = 'PT30S'; }],
  ['graceful shutdown: preStop + SHUTDOWN_GRACE fit in terminationGracePeriodSeconds, no unavailable pod on rollout', 'no preStop', (o) => { delete triad(o).lifecycle; }],
  ['graceful shutdown: preStop + SHUTDOWN_GRACE fit in terminationGracePeriodSeconds, no unavailable pod on rollout', 'maxUnavailable 1', (o) => { dep(o).spec.strategy.rollingUpdate.maxUnavailable = 1; }],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'HPA min 2', (o) => { find(o, 'HorizontalPodAutoscaler', 'triad').spec.minReplicas = 2; }],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'PDB selects nothing', (o) => { find(o, 'PodDisruptionBudget', 'triad').spec.selector.matchLabels['app.kubernetes.io/name'] = 'web'; }],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'no spread', (o) => { delete dep(o).spec.template.spec.topologySpreadConstraints; }],
  ['Services, HTTPRoute and selectors reach the pods they mean', 'Service targetPort admin', (o) => { find(o, 'Service', 'triad').spec.ports[0].targetPort = 'admin'; }],
  ['Services, HTTPRoute and selectors reach the pods they mean', 'Service selector typo', (o) => { find(o, 'Service', 'redis').spec.selector['app.kubernetes.io/name'] = 'rediss'; }],
  ['Services, HTTPRoute and selectors reach the pods they mean', 'route to a missing port', (o) => { route(o).spec.rules[0].backendRefs[0].port = 8080; }],
  ['Services, HTTPRoute and selectors reach the pods they mean', 'an Ingress again', (o) => { o.push({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'triad', namespace: 'triad' }, spec: {} }); }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'nginx read timeout 30s', (o, f) => { f.nginx.proxy_read_timeout = [{ file: 'nginx/x.conf', value: '30s' }]; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'nginx send and read timeouts differ', (o, f) => { f.nginx.proxy_send_timeout = [{ file: 'nginx/x.conf', value: '5s' }]; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'nginx/ lost a directive', (o, f) => { f.nginx.proxy_read_timeout = []; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'request timeout longer', (o) => { route(o).spec.rules[0].timeouts.request = '30s'; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'no timeouts', (o) => { delete route(o).spec.rules[0].timeouts; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'attached to a Gateway in its own namespace', (o) => { route(o).spec.parentRefs[0].namespace = 'triad'; }],
  ['HTTPRoute: attached to a platform Gateway, timeouts equal the nginx/ directives of Compose', 'prod overlay loses its Gateway', (o) => { delete route(o).spec.parentRefs[0].name; }, 'prod'],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'db/roles.sh gains a statement', (o, f) => { f.initdb['10-roles.sh'] += 'echo extra\n'; }],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'db/roles.sh changed', (o, f) => { f.initdb['10-roles.sh'] = f.initdb['10-roles.sh'].replace('NOSUPERUSER', 'SUPERUSER'); }],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'only a trailing newline differs', (o, f) => { f.initdb['10-roles.sh'] += '\n'; }],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'roles script left out', (o) => { delete find(o, 'ConfigMap', 'triad-initdb').data['10-roles.sh']; }],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'not mounted', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].volumeMounts = ss(o, 'postgres').spec.template.spec.containers[0].volumeMounts.filter((m) => m.name !== 'initdb'); }],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'Compose mounts roles.sh under another name', (o, f) => { f.compose.postgres.volumes = f.compose.postgres.volumes.map((v) => v.replace('10-roles.sh', '05-roles.sh')); }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'another image tag than the Deployment', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].image = 'triad:0.9.0'; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'prod: the Job keeps the tag while the Deployment goes by digest', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].image = 'ghcr.io/triad-dev/triad:1.0.0'; }, 'prod'],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'runs the service instead of migrate', (o) => { delete find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].args; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'migrates as the service role', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].env.find((e) => e.name === 'DB_USER').value = 'triad'; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'the service password', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].env.find((e) => e.name === 'DB_PASSWORD_FILE').value = '/run/secrets/triad/db-password'; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'unbounded retries', (o) => { delete find(o, 'Job', 'triad-migrate').spec.backoffLimit; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'never removed', (o) => { delete find(o, 'Job', 'triad-migrate').spec.ttlSecondsAfterFinished; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'restarts in place', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.restartPolicy = 'OnFailure'; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'no startup probe on the Deployment', (o) => { delete triad(o).startupProbe; }],
  ['migration Job: the Deployment\'s image, argument migrate as the owner of db/roles.sh (as Compose\'s migrate), bounded retries, removed after it finished; the pods wait in their startup probe for the schema', 'Job missing', (o) => { o.splice(o.findIndex((x) => x.kind === 'Job'), 1); }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'the Job mounts the superuser password too', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.volumes.find((v) => v.secret).secret.items.push({ key: 'postgres-password', path: 'postgres-password' }); }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'the Job reaches redis', (o) => { np(o, 'triad-migrate').spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }], ports: [{ port: 6379, protocol: 'TCP' }] }); }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'postgres admits every pod of the namespace', (o) => { np(o, 'postgres').spec.ingress[0].from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'triad' } } }); }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'service connects as the superuser', (o) => { cm(o).data.DB_USER = 'postgres'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'service connects as the owner', (o) => { cm(o).data.DB_USER = 'triad_owner'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'superuser is the service role again', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'POSTGRES_USER').value = 'triad'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'a migration grants to the owner too', (o, f) => { f.roles.app.push('triad_owner'); }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'migrations run as the service role', (o, f) => { f.roles.owner = 'triad'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'triad mounts the admin Secret', (o) => { dep(o).spec.template.spec.volumes.push({ name: 'admin', secret: { secretName: 'triad-db-admin' } }); }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'triad mounts every key of triad-secrets', (o) => { delete dep(o).spec.template.spec.volumes.find((v) => v.secret).secret.items; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'owner password from the service Secret', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'TRIAD_OWNER_PASSWORD_FILE').value = '/run/secrets/triad/db-password'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'initdb trusts localhost again', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env = ss(o, 'postgres').spec.template.spec.containers[0].env.filter((e) => e.name !== 'POSTGRES_INITDB_ARGS'); }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'PGDATA is the volume root', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'PGDATA').value = '/var/lib/postgresql/data'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'superuser password from the service Secret', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'POSTGRES_PASSWORD_FILE').value = '/run/secrets/triad/db-password'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'another image', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].image = 'postgres:16'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'Compose moves to postgres 18', (o, f) => { f.composeImages.postgres = 'postgres:18-alpine'; }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'Compose moves to redis 8', (o, f) => { f.composeImages.redis = 'redis:8-alpine'; }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'AOF off', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('--appendonly yes', '--appendonly no')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'no maxmemory', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace(/ --maxmemory \S+/, '')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'maxmemory above the limit', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace(/--maxmemory \S+/, '--maxmemory 300mb')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'allkeys-lru evicts the request count', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('volatile-lru', 'allkeys-lru')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'Compose changes its maxmemory', (o, f) => { const c = f.compose.redis.command; c[c.indexOf('--maxmemory') + 1] = '100mb'; }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'the service\'s user may FLUSHALL', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('+incrby', '+incrby +flushall')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'the default user on', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('user default off', 'user default on nopass')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'DEBUG allowed', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('--enable-debug-command no', '--enable-debug-command local')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'no readiness probe', (o) => { delete ss(o, 'redis').spec.template.spec.containers[0].readinessProbe; }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'postgres open to all pods', (o) => { np(o, 'postgres').spec.ingress[0].from = [{ podSelector: {} }]; }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'admin port open to ingress-nginx', (o) => { np(o, 'triad').spec.ingress[0].ports.push({ port: 'admin', protocol: 'TCP' }); }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'no default deny', (o) => { o.splice(o.indexOf(np(o, 'default-deny-all')), 1); }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'no egress to redis', (o) => { np(o, 'triad').spec.egress.pop(); }],
  ['NetworkPolicies: default deny; databases accept triad only (PostgreSQL also the migration Job, which reaches nothing else); triad accepts the Gateway namespace on http and monitoring on admin', 'dev Gateway moved but the policy still admits the old namespace', (o) => { route(o).spec.parentRefs[0].namespace = 'gateway-elsewhere'; }, 'dev'],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'dev with 3 replicas', (o) => { dep(o).spec.replicas = 3; }, 'dev'],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'dev with a PDB (one pod could never be evicted)', (o) => { o.push(structuredClone(find(objs, 'PodDisruptionBudget', 'triad'))); }, 'dev'],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread (dev: 1 replica, neither HPA nor PDB)', 'prod without HPA', (o) => { o.splice(o.indexOf(find(o, 'HorizontalPodAutoscaler', 'triad')), 1); }, 'prod'],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'prod by tag', (o) => { triad(o).image = 'ghcr.io/triad-dev/triad:1.0.0'; }, 'prod'],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'prod by a digest of another image', (o) => { triad(o).image = triad(o).image.replace('/triad@', '/other@'); }, 'prod'],
  ['triad image is image.name:version from pom.xml (prod: image.name by digest), running as pom image.user', 'prod by a short digest', (o) => { triad(o).image = triad(o).image.replace(/0{10}$/, ''); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'dev with a PodMonitor', (o) => { o.push({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'x', namespace: 'triad' }, spec: {} }); }, 'dev'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'scrape the public port', (o) => { find(o, 'PodMonitor', 'triad').spec.podMetricsEndpoints[0].port = 'http'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'API.md moves the metrics path', (o, f) => { f.api.admin.metrics = '/observe/metrics'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'PodMonitor selects nothing', (o) => { find(o, 'PodMonitor', 'triad').spec.selector.matchLabels['app.kubernetes.io/name'] = 'web'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a metric the service does not export (typo in a recording rule)', (o) => { const r = recording(o, 'triad:cache_bypass:ratio_rate5m'); r.expr = r.expr.replace('triad_cache_hits_total', 'triad_cache_hit_total'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'an alert reads a series no rule records (typo)', (o) => { const a = alert(o, 'TriadCacheBypassSustained'); a.expr = a.expr.replace('triad:cache_bypass:ratio_rate5m', 'triad:cache_bypass:ratio_rate_5m'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a recording rule reads every job', (o) => { const r = recording(o, 'instance:triad_http_requests:rate1m'); r.expr = r.expr.replace('{job="triad/triad"}', ''); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a rule records the series it reads', (o) => { const r = recording(o, 'triad:http_errors:ratio_rate5m'); r.expr = 'triad:http_errors:ratio_rate5m * 1'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'the service renames a meter', (o, f) => { f.metrics.delete('triad_http_requests_seconds_bucket'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a selector without the job', (o) => { alert(o, 'TriadInstanceDown').expr = 'up == 0'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'no p99 alert', (o) => { const g = alertGroup(o, 'TriadHighLatencyP99'); g.rules = g.rules.filter((r) => r.alert !== 'TriadHighLatencyP99'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'no cache bypass alert', (o) => { const g = alertGroup(o, 'TriadCacheBypassSustained'); g.rules = g.rules.filter((r) => r.alert !== 'TriadCacheBypassSustained'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'the p99 alert reads the p50', (o) => { const a = alert(o, 'TriadHighLatencyP99'); a.expr = a.expr.replace('p99_5m', 'p50_1m'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'an alert with status=~"5.." (a pattern over codes; the label holds the class 5xx)', (o) => { alertGroup(o, 'TriadHighErrorRatio').rules.push({ alert: 'TriadHighErrorRatioByCode', expr: 'sum(rate(triad_http_requests_seconds_count{job="triad/triad", status=~"5.."}[5m])) / sum(rate(triad_http_requests_seconds_count{job="triad/triad"}[5m])) > 0.01', for: '5m', labels: { severity: 'critical' }, annotations: { summary: 'x' } }); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'the error ratios count status code 500', (o) => { for (const r of ruleList(o).filter((x) => x.record?.startsWith('triad:http_errors:'))) r.expr = r.expr.replace('status="5xx"', 'status="500"'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a PromQL syntax error (unbalanced parenthesis)', (o) => { const r = recording(o, 'triad:http_request_duration_seconds:p99_5m'); r.expr = r.expr.replace('[5m])))', '[5m]))'); }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'a metric inside a function the old regex would miss', (o) => { alert(o, 'TriadInstanceDown').expr = 'absent(triad_up{job="triad/triad"})'; }, 'prod'],
  ['monitoring: PodMonitor on the admin port and metrics path of API.md; alert and recording rules name only metrics the service exports (or other rules record), status by class (only where the component is)', 'an alert without for', (o) => { delete alert(o, 'TriadHighErrorRatio').for; }, 'prod'],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'a threshold changed in the source', (o, f) => { f.rules.source = f.rules.source.replace('triad:http_request_duration_seconds:p99_5m > 0.25', 'triad:http_request_duration_seconds:p99_5m > 0.5'); }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'a rule added to the source', (o, f) => { f.rules.source += '\n      - alert: TriadNoTraffic\n        expr: sum(rate(triad_http_requests_seconds_count{job="triad"}[5m])) == 0\n        for: 10m\n        labels:\n          severity: warning\n        annotations:\n          summary: "no request reached triad for 10 minutes"\n'; }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'the committed file edited by hand', (o, f) => { f.rules.committed = f.rules.committed.replace('for: 30s', 'for: 1m'); }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'a Compose hint the replacement table does not know', (o, f) => { f.rules.source = f.rules.source.replace('(PostgreSQL unavailable or the pool saturated?)', '(see `make logs SERVICE=postgres`)'); }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'a Compose text of the replacement table gone from the source', (o, f) => { f.rules.source = f.rules.source.replace('Nginx routes around it', 'Nginx retries another instance'); }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'a selector on a job neither triad nor a Compose exporter', (o, f) => { f.rules.source = f.rules.source.replace('up{job="triad"} == 0', 'up{job="web"} == 0'); }],
  ['PrometheusRule is generated from observability/rules/triad.yml, byte for byte (make k8s-rules), and applied unchanged', 'prod patches the rule', (o) => { alert(o, 'TriadHighLatencyP99').expr = 'triad:http_request_duration_seconds:p99_5m > 1'; }, 'prod'],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the service route on every listener again (no sectionName)', (o) => { delete route(o).spec.parentRefs[0].sectionName; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the service route on the http listener', (o) => { route(o).spec.parentRefs[0].sectionName = 'http'; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the service route on both listeners', (o) => { route(o).spec.parentRefs.push({ ...route(o).spec.parentRefs[0], sectionName: 'http' }); }, 'prod'],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'no HSTS', (o) => { delete route(o).spec.rules[0].filters; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'HSTS for a day', (o) => { route(o).spec.rules[0].filters[0].responseHeaderModifier.set[0].value = 'max-age=86400; includeSubDomains'; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'HSTS added to the request instead of the response', (o) => { const f = route(o).spec.rules[0].filters[0]; f.type = 'RequestHeaderModifier'; f.requestHeaderModifier = f.responseHeaderModifier; delete f.responseHeaderModifier; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect route gone', (o) => { o.splice(o.indexOf(redirect(o)), 1); }, 'dev'],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect forwards to the service instead', (o) => { redirect(o).spec.rules[0] = { backendRefs: [{ name: 'triad', port: 80 }] }; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect temporary (302)', (o) => { redirect(o).spec.rules[0].filters[0].requestRedirect.statusCode = 302; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect to http', (o) => { redirect(o).spec.rules[0].filters[0].requestRedirect.scheme = 'http'; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect to another host', (o) => { redirect(o).spec.rules[0].filters[0].requestRedirect.hostname = 'example.com'; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect of /items only', (o) => { redirect(o).spec.rules[0].matches = [{ path: { type: 'PathPrefix', value: '/items' } }]; }],
  ['HTTPRoutes: the service on the Gateway\'s HTTPS listener only, sending Strict-Transport-Security (max-age a year or more); the HTTP listener of the same Gateway only redirects to https (301)', 'the redirect left on the base\'s Gateway (an overlay patched the service route only)', (o) => { Object.assign(redirect(o).spec.parentRefs[0], { name: 'gateway', namespace: 'gateway-system' }); }, 'prod'],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'DNS to every pod of kube-system (as before)', (o) => { delete np(o, 'allow-dns-egress').spec.egress[0].to[0].podSelector; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'DNS to every address', (o) => { delete np(o, 'allow-dns-egress').spec.egress[0].to; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'DNS over UDP only', (o) => { np(o, 'allow-dns-egress').spec.egress[0].ports = [{ port: 53, protocol: 'UDP' }]; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'DNS for the triad pods only', (o) => { np(o, 'allow-dns-egress').spec.podSelector = { matchLabels: { 'app.kubernetes.io/name': 'triad' } }; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'the kube-dns pods of every namespace', (o) => { delete np(o, 'allow-dns-egress').spec.egress[0].to[0].namespaceSelector; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'every port of the DNS pods', (o) => { delete np(o, 'allow-dns-egress').spec.egress[0].ports; }],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'a component opens 53 to the internet', (o) => { np(o, 'triad-db').spec.egress[1].ports.push({ port: 53, protocol: 'UDP' }); }, 'prod'],
  ['NetworkPolicies: DNS (port 53) egress only to the cluster DNS pods (kube-system, k8s-app: kube-dns), UDP and TCP, for every pod', 'a port range over 53 to the internet', (o) => { np(o, 'triad-db').spec.egress[1].ports.push({ port: 1, endPort: 1024, protocol: 'TCP' }); }, 'prod'],
  // The highly available data tier of prod (components cnpg and redis-sentinel).
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: a grant to streaming_replica in the bootstrap SQL (the role does not exist yet)', (o) => { cluster(o).spec.bootstrap.initdb.postInitApplicationSQL.push('GRANT CONNECT ON DATABASE postgres TO streaming_replica'); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: database postgres closed to the operator\'s roles', (o) => { cluster(o).spec.bootstrap.initdb.postInitApplicationSQL.push('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC'); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the metrics exporter locked out of triad', (o) => { const i = cluster(o).spec.bootstrap.initdb; i.postInitApplicationSQL = i.postInitApplicationSQL.filter((x) => !x.endsWith('TO pg_monitor')); }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', '2 instances', (o) => { cluster(o).spec.instances = 2; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'asynchronous replication', (o) => { delete cluster(o).spec.postgresql.synchronous; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'dataDurability preferred (writes go on without a standby)', (o) => { cluster(o).spec.postgresql.synchronous.dataDurability = 'preferred'; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', '2 synchronous standbys of 2 (one down stops every write)', (o) => { cluster(o).spec.postgresql.synchronous.number = 2; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'anti-affinity only preferred', (o) => { cluster(o).spec.affinity.podAntiAffinityType = 'preferred'; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'no memory limit', (o) => { delete cluster(o).spec.resources.limits.memory; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'the service reads from the -ro Service', (o) => { cm(o).data.DB_URL = cm(o).data.DB_URL.replace('triad-db-rw', 'triad-db-ro'); }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'DB_URL without targetServerType=primary', (o) => { cm(o).data.DB_URL = 'jdbc:postgresql://triad-db-rw:5432/triad'; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'the migration Job still on the old postgres Service', (o) => { find(o, 'Job', 'triad-migrate').spec.template.spec.containers[0].env[0] = { name: 'DB_URL', value: 'jdbc:postgresql://postgres.triad.svc:5432/triad' }; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'a Cluster renamed without DB_URL', (o) => { cluster(o).metadata.name = 'pg'; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'no PodMonitor for the Cluster', (o) => { o.splice(o.indexOf(find(o, 'PodMonitor', 'triad-db')), 1); }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'PodMonitor on the status port', (o) => { find(o, 'PodMonitor', 'triad-db').spec.podMetricsEndpoints[0].port = 'status'; }, 'prod'],
  ['CloudNativePG (prod): Cluster of 3 instances, synchronous replication (quorum of 1, dataDurability required), required anti-affinity across nodes, resources, storage, PostgreSQL of Compose\'s major; the service and the migration Job connect to its -rw Service as primary; a PodMonitor on its metrics port', 'a Cluster in the plain directory', (o) => { o.push(structuredClone(cluster(clone('prod').objs))); }, 'plain'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'no ScheduledBackup', (o) => { o.splice(o.indexOf(find(o, 'ScheduledBackup', 'triad-db-daily')), 1); }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the ScheduledBackup backs up another Cluster', (o) => { find(o, 'ScheduledBackup', 'triad-db-daily').spec.cluster.name = 'triad'; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the ScheduledBackup uses the deprecated in-tree method', (o) => { const b = find(o, 'ScheduledBackup', 'triad-db-daily'); b.spec.method = 'barmanObjectStore'; delete b.spec.pluginConfiguration; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'a five-field cron schedule', (o) => { find(o, 'ScheduledBackup', 'triad-db-daily').spec.schedule = '0 3 * * *'; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'no retention policy', (o) => { delete find(o, 'ObjectStore', 'triad-backups').spec.retentionPolicy; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'a retention of one day', (o) => { find(o, 'ObjectStore', 'triad-backups').spec.retentionPolicy = '1d'; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the plugin does not archive WAL', (o) => { cluster(o).spec.plugins[0].isWALArchiver = false; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the Cluster names another ObjectStore', (o) => { cluster(o).spec.plugins[0].parameters.barmanObjectName = 'minio-store'; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the store\'s credentials in the service\'s Secret', (o) => { find(o, 'ObjectStore', 'triad-backups').spec.configuration.s3Credentials.accessKeyId.name = 'triad-secrets'; }, 'prod'],
  ['backups (prod): the Cluster archives WAL through the Barman Cloud plugin to an ObjectStore with a retention policy and credentials from a Secret; a ScheduledBackup of that Cluster by the plugin', 'the in-tree barmanObjectStore again', (o) => { cluster(o).spec.backup = { barmanObjectStore: { destinationPath: 's3://x' } }; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'the service asks for another master name', (o) => { triad(o).env.push({ name: 'REDIS_MASTER_NAME', value: 'mymaster' }); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'the sentinels monitor a literal name', (o) => { const c = ss(o, 'redis-sentinel').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('sentinel monitor $REDIS_MASTER_NAME', 'sentinel monitor mymaster')); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'the sentinels\' master name not from triad-config', (o) => { ss(o, 'redis-sentinel').spec.template.spec.containers[0].env = [{ name: 'REDIS_MASTER_NAME', value: 'triad' }]; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'REDIS_SENTINELS misses a sentinel', (o) => { cm(o).data.REDIS_SENTINELS = cm(o).data.REDIS_SENTINELS.split(',').slice(0, 2).join(','); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'REDIS_SENTINELS on the Redis port', (o) => { cm(o).data.REDIS_SENTINELS = cm(o).data.REDIS_SENTINELS.replaceAll(':26379', ':6379'); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'quorum of 1 (one sentinel alone fails over)', (o) => { const c = ss(o, 'redis-sentinel').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace(/6379 2$/m, '6379 1')); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'IP addresses instead of hostnames', (o) => { const c = ss(o, 'redis-sentinel').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('sentinel announce-hostnames yes\n', '')); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', '2 sentinels', (o) => { ss(o, 'redis-sentinel').spec.replicas = 2; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'sentinels on another image than Compose\'s redis', (o) => { ss(o, 'redis-sentinel').spec.template.spec.containers[0].image = 'bitnami/redis-sentinel:7.2'; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'data nodes may share a node', (o) => { delete ss(o, 'redis').spec.template.spec.affinity; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'data nodes created in order (a lost redis-0 blocks the others)', (o) => { delete ss(o, 'redis').spec.podManagementPolicy; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'no PDB for the sentinels', (o) => { o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'redis-sentinel')), 1); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'the sentinel config on the read-only root', (o) => { const c = ss(o, 'redis-sentinel').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replaceAll('/sentinel/sentinel.conf', '/etc/sentinel.conf')); }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'the sentinels\' Service hides pods that are not ready', (o) => { delete find(o, 'Service', 'redis-sentinel').spec.publishNotReadyAddresses; }, 'prod'],
  ['Redis Sentinel (prod): 3 sentinels (quorum 2) and 3 data nodes, one per node, PDBs; the master name of the sentinels, data nodes and service is triad-config\'s REDIS_MASTER_NAME; REDIS_SENTINELS names every sentinel pod on its port; hostnames resolved and announced, config rendered into an emptyDir, password from the Secret', 'sentinels in the plain directory', (o) => { o.push(structuredClone(ss(clone('prod').objs, 'redis-sentinel'))); }, 'plain'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'triad reaches the standbys too', (o) => { delete np(o, 'triad').spec.egress[0].to[0].podSelector.matchLabels['cnpg.io/instanceRole']; }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'the operator locked out of the status port', (o) => { np(o, 'triad-db').spec.ingress[2].ports = np(o, 'triad-db').spec.ingress[2].ports.filter((x) => x.port !== 8000); }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'the instances may reach every pod on 443', (o) => { np(o, 'triad-db').spec.egress[1].to = []; }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'replicas cannot reach the Redis primary', (o) => { np(o, 'redis-replication').spec.egress.shift(); }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'sentinels admit every pod of the namespace', (o) => { np(o, 'redis-sentinel').spec.ingress[0].from = [{ podSelector: {} }]; }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'the migration Job reaches the sentinels', (o) => { np(o, 'triad-migrate').spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis-sentinel' } } }], ports: [{ port: 26379, protocol: 'TCP' }] }); }, 'prod'],
  ['NetworkPolicies of the HA data tier (prod): exactly the connections CloudNativePG, Redis replication and Sentinel need, and no more', 'Prometheus reaches PostgreSQL itself', (o) => { np(o, 'triad-db').spec.ingress[3].ports.push({ port: 5432, protocol: 'TCP' }); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the service role may create roles', (o) => { cluster(o).spec.managed.roles.find((r) => r.name === 'triad').createrole = true; }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the service connects as the owner', (o) => { cm(o).data.DB_USER = 'triad_owner'; }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the superuser gets a password', (o) => { cluster(o).spec.enableSuperuserAccess = true; }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: a grant of db/roles.sh left out', (o) => { const i = cluster(o).spec.bootstrap.initdb; i.postInitApplicationSQL = i.postInitApplicationSQL.filter((x) => !x.startsWith('REVOKE ALL ON SCHEMA')); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: db/roles.sh gains a grant', (o, f) => { f.initdb['10-roles.sh'] = f.initdb['10-roles.sh'].replace('GRANT USAGE ON SCHEMA public TO triad;', 'GRANT USAGE ON SCHEMA public TO triad;\nGRANT CREATE ON SCHEMA public TO triad_owner;'); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the service role inherits', (o) => { delete cluster(o).spec.managed.roles.find((r) => r.name === 'triad').inherit; }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the owner of another role', (o) => { cluster(o).spec.bootstrap.initdb.owner = 'app'; }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: a password in the init SQL', (o) => { cluster(o).spec.bootstrap.initdb.postInitApplicationSQL.push("ALTER ROLE triad PASSWORD 'x'"); }, 'prod'],
  ['PostgreSQL roles: the service connects as the DML role of db/migration, neither owner nor superuser; their passwords reach postgres only', 'prod: the sentinels mount the admin Secret', (o) => { ss(o, 'redis-sentinel').spec.template.spec.volumes.push({ name: 'admin', secret: { secretName: 'triad-db-admin' } }); }, 'prod'],
  ['triad environment: only variables of API.md, wired to the right places', 'REDIS_SENTINELS where no sentinel runs', (o) => { cm(o).data.REDIS_SENTINELS = 'redis:26379'; }, 'plain'],
  ['triad environment: only variables of API.md, wired to the right places', 'prod without REDIS_MASTER_NAME', (o) => { delete cm(o).data.REDIS_MASTER_NAME; }, 'prod'],
  ['init ConfigMap holds db/roles.sh byte for byte, under the name Compose mounts it, and is mounted into postgres', 'prod still applies the init ConfigMap', (o) => { o.push(structuredClone(find(objs, 'ConfigMap', 'triad-initdb'))); }, 'prod'],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'prod on PostgreSQL 18 while Compose runs 17', (o) => { cluster(o).spec.imageName = 'ghcr.io/cloudnative-pg/postgresql:18.4-standard-trixie'; }, 'prod'],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'prod on the deprecated system image', (o) => { cluster(o).spec.imageName = 'ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie'; }, 'prod'],
];

describe('each consistency check fails when its fact breaks', () => {
  test('every check has at least one breakage', () => {
    const covered = new Set(breakages.map(([c]) => c));
    assert.deepEqual(Object.keys(checks).filter((c) => !covered.has(c)), []);
  });
  for (const [name, what, mutate, id = 'plain'] of breakages) {
    test(`${what} → "${name}" fails`, () => {
      assert.ok(checks[name], `no check named ${name}`);
      const { objs: o, facts: f } = clone(id);
      assert.deepEqual(checks[name](o, f, variant[id]), [], 'the unbroken copy must pass');
      mutate(o, f);
      const problems = checks[name](o, f, variant[id]);
      assert.ok(problems.length > 0, 'the check did not notice');
    });
  }
});

describe('the fact readers', () => {
  test('API.md parser finds ports, admin endpoints and the variables with SHUTDOWN_GRACE default', () => {
    assert.equal(facts.api.ports.public, 8080);
    assert.equal(facts.api.ports.admin, 8081);
    assert.equal(facts.api.admin.ready, '/health/ready');
    assert.ok(facts.api.variables.has('DB_PASSWORD_FILE') && facts.api.variables.has('REDIS_PASSWORD_FILE'));
    assert.equal(facts.api.defaults.SHUTDOWN_GRACE, 'PT10S');
  });
  test('API.md parser refuses a contract without an admin port', () => {
    assert.throws(() => parseApiMd('## Ports\n\n| port | name |\n|---|---|\n| 8080 | public |\n'));
  });
  test('pom.xml: the project version, not the parent one', () => {
    const pom = parsePom('<project><parent><version>4.5.0</version></parent><version>2.3.4</version><properties><image.name>x</image.name></properties></project>');
    assert.equal(pom.image, 'x:2.3.4');
  });
  test('nginx units', () => {
    assert.equal(nginxSize('64k'), 65536);
    assert.equal(nginxSize('1m'), 1048576);
    assert.equal(nginxSeconds('2s'), 2);
    assert.equal(nginxSeconds('1m30s'), 90);
    assert.equal(nginxSeconds('10'), 10);
    assert.throws(() => nginxSeconds('ten'));
  });
  test('Gateway API durations', () => {
    assert.equal(gatewaySeconds('10s'), 10);
    assert.equal(gatewaySeconds('1m30s'), 90);
    assert.equal(gatewaySeconds('500ms'), 0.5);
    assert.throws(() => gatewaySeconds('10'));
    assert.throws(() => gatewaySeconds('PT10S'));
  });
  test('PromQL parser: metric names of selectors, syntax errors', () => {
    const r = promql('sum(rate(a_total{job="x"}[5m])) / on() group_left sum(b)');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.selectors.map((x) => x.name), ['a_total', 'b']);
    assert.ok(promql('sum(rate(a[5m])').error);
  });
  test('metric names from the service source: timer, counter, gauge', () => {
    const m = parseMetrics(['Timer.builder("triad.http.requests")', 'counter(registry, "triad.cache.hits", "x")', 'Gauge.builder("triad.db.pool.active", pool']);
    for (const n of ['triad_http_requests_seconds_bucket', 'triad_cache_hits_total', 'triad_db_pool_active', 'up']) assert.ok(m.has(n), n);
    for (const n of ['triad_http_requests_seconds_bucket', 'triad_cache_hits_total', 'triad_cache_misses_total', 'triad_cache_bypasses_total', 'triad_db_pool_active']) assert.ok(facts.metrics.has(n), `the service exports ${n}`);
  });
  test('the privilege statements of db/roles.sh, as the Cluster must repeat them', () => {
    assert.deepEqual(rolesShGrants(facts.initdb['10-roles.sh'], 'triad'), [
      'REVOKE ALL ON DATABASE triad FROM PUBLIC',
      'GRANT CONNECT ON DATABASE triad TO triad_owner, triad',
      'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC',
      'ALTER SCHEMA public OWNER TO triad_owner',
      'REVOKE ALL ON SCHEMA public FROM PUBLIC',
      'GRANT USAGE ON SCHEMA public TO triad',
    ]);
  });
  test('the NetworkPolicy evaluator: default deny, a rule per side, named ports, namespaces, ipBlock', () => {
    const a = { ns: 'triad', labels: { app: 'a' }, ports: { web: 8080 } };
    const b = { ns: 'triad', labels: { app: 'b' }, ports: { web: 8080 } };
    const deny = { spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };
    const out = { spec: { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 8080 }] }] } };
    const inn = { spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 'web' }] }] } };
    assert.equal(npAllows([], a, b, 8080), true, 'no policy: open');
    assert.equal(npAllows([deny], a, b, 8080), false);
    assert.equal(npAllows([deny, out], a, b, 8080), false, 'egress alone is not enough');
    assert.equal(npAllows([deny, out, inn], a, b, 8080), true);
    assert.equal(npAllows([deny, out, inn], a, b, 8081), false);
    assert.equal(npAllows([deny, out, inn], b, a, 8080), false);
    assert.equal(npAllows([deny, out, inn], { ns: 'other', labels: { app: 'a' } }, b, 8080), false, 'a podSelector alone means this namespace');
    assert.equal(npAllows([deny, out, inn], a, b, 8080, { ingress: true }), true);
    const ext = { spec: { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }] } };
    assert.equal(npAllows([deny, ext], a, { ip: '203.0.113.7' }, 443), true);
    assert.equal(npAllows([deny, ext], a, { ns: 'other', labels: {} }, 443), false);
  });
  test('ISO durations', () => {
    assert.equal(isoSeconds('PT10S'), 10);
    assert.equal(isoSeconds('PT1M30S'), 90);
    assert.throws(() => isoSeconds('10s'));
  });
});

describe('the PrometheusRule generator (lib/prometheusrule.mjs)', () => {
  const source = YAML.parse(facts.rules.source);
  const names = (groups) => groups.flatMap((g) => g.rules).map((r) => r.alert ?? r.record);
  test('deterministic; every rule of the source but those of the Compose exporters, named in the header', () => {
    const text = renderPrometheusRule(facts.rules.source);
    assert.equal(renderPrometheusRule(facts.rules.source), text);
    const out = YAML.parse(text);
    const gone = ['TriadExporterDown', 'TriadNginxUpstreamFailures', 'TriadRedisMemoryNearMax'];
    assert.deepEqual(names(out.spec.groups), names(source.groups).filter((n) => !gone.includes(n)));
    assert.deepEqual(out.spec.groups.map((g) => g.name), source.groups.map((g) => g.name));
    for (const n of gone) assert.match(text, new RegExp(`^#   ${n}: `, 'm'));
    assert.match(text, /^# GENERATED by `make k8s-rules` from observability\/rules\/triad.yml/);
    assert.doesNotMatch(text.slice(text.indexOf('\napiVersion:')), /job="triad"/);
  });
  test('only the job changes in an expression; Compose hints become kubectl ones', () => {
    const out = YAML.parse(renderPrometheusRule(facts.rules.source));
    const src = new Map(source.groups.flatMap((g) => g.rules).map((r) => [r.alert ?? r.record, r]));
    for (const r of out.spec.groups.flatMap((g) => g.rules)) {
      assert.equal(r.expr, src.get(r.alert ?? r.record).expr.replaceAll('job="triad"', 'job="triad/triad"'));
    }
    const down = out.spec.groups.flatMap((g) => g.rules).find((r) => r.alert === 'TriadInstanceDown');
    assert.match(down.annotations.description, /`kubectl -n triad get pods`/);
    assert.match(down.annotations.description, /`kubectl -n triad logs \{\{ \$labels\.pod \}\}`/);
  });
  test('a rule reading a series recorded from an exporter is left out too', () => {
    const text = facts.rules.source + `
  - name: extra
    rules:
      - record: redis:memory:ratio
        expr: redis_memory_used_bytes{job="redis"} / redis_memory_max_bytes{job="redis"}
      - alert: TriadRedisFull
        expr: redis:memory:ratio > 0.99
        for: 1m
        labels:
          severity: warning
        annotations:
          summary: "Redis is full"
`;
    const out = renderPrometheusRule(text);
    assert.doesNotMatch(out, /^ *- (record|alert): (redis:memory:ratio|TriadRedisFull)$/m);
    assert.doesNotMatch(out, /- name: extra/);
    assert.match(out, /^#   TriadRedisFull: redis:memory:ratio \(recorded by a rule left out\)$/m);
  });
  test('refuses what it cannot translate', () => {
    assert.throws(() => renderPrometheusRule(facts.rules.source.replace('check `make ps`', 'check `make top`')), /make ps/);
    assert.throws(() => renderPrometheusRule(facts.rules.source.replace('(PostgreSQL unavailable', '(`make logs SERVICE=postgres`: PostgreSQL unavailable')), /make/);
    assert.throws(() => renderPrometheusRule(facts.rules.source.replace('up{job="triad"} == 0', 'up{job!="nginx"} == 0')), /job matcher/);
    assert.throws(() => renderPrometheusRule(facts.rules.source.replace('> 0.25', '> 0.25)')), /not valid PromQL/);
  });
});
