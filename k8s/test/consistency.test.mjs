// (2) The manifests agree with their sources: API.md (ports, admin endpoints, variables),
// pom.xml (image), nginx/ (limits), db/init.sql (schema); and with the requirements.
// Each check also runs on a copy broken on purpose and must then report a problem,
// so that none of them can pass by accident.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadApplied } from './lib/load.mjs';
import { loadFacts, parseApiMd, parsePom, nginxSeconds, nginxSize, isoSeconds } from './lib/facts.mjs';
import { checks, find } from './lib/checks.mjs';

const objs = loadApplied().map((x) => x.obj);
const facts = loadFacts();

const clone = () => ({ objs: structuredClone(objs), facts: structuredClone(facts) });
const dep = (o) => find(o, 'Deployment', 'triad');
const triad = (o) => dep(o).spec.template.spec.containers[0];
const cm = (o) => find(o, 'ConfigMap', 'triad-config');
const ss = (o, n) => find(o, 'StatefulSet', n);
const ing = (o) => find(o, 'Ingress', 'triad');
const np = (o, n) => find(o, 'NetworkPolicy', n);

describe('consistency of k8s/ with the contract and the other sources', () => {
  for (const [name, check] of Object.entries(checks)) {
    test(name, () => assert.deepEqual(check(objs, facts), []));
  }
});

// [check, what breaks, mutation(objs, facts)]
const breakages = [
  ['Namespace triad is the first object applied, everything else is in it', 'namespace sorts after another file', (o) => o.push(o.shift())],
  ['Namespace triad is the first object applied, everything else is in it', 'an object in default', (o) => { cm(o).metadata.namespace = 'default'; }],
  ['every object has the app.kubernetes.io labels', 'a pod template without component', (o) => { delete ss(o, 'redis').spec.template.metadata.labels['app.kubernetes.io/component']; }],
  ['no Secret is applied by kubectl apply -f k8s/ (the user creates triad-secrets)', 'a Secret at the top level', (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triad-secrets', namespace: 'triad' } })],
  ['triad image is image.name:version from pom.xml, running as pom image.user', 'pom version bumped', (o, f) => { f.pom = parsePom(`<project><version>1.0.1</version><properties><image.name>triad</image.name></properties></project>`); }],
  ['triad image is image.name:version from pom.xml, running as pom image.user', 'image tag latest', (o) => { triad(o).image = 'triad:latest'; }],
  ['triad image is image.name:version from pom.xml, running as pom image.user', 'another user', (o) => { dep(o).spec.template.spec.securityContext.runAsUser = 1000; }],
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
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread', 'HPA min 2', (o) => { find(o, 'HorizontalPodAutoscaler', 'triad').spec.minReplicas = 2; }],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread', 'PDB selects nothing', (o) => { find(o, 'PodDisruptionBudget', 'triad').spec.selector.matchLabels['app.kubernetes.io/name'] = 'web'; }],
  ['availability: 3 replicas, HPA (min 3, CPU), PDB minAvailable 2, topology spread', 'no spread', (o) => { delete dep(o).spec.template.spec.topologySpreadConstraints; }],
  ['Services, Ingress and selectors reach the pods they mean', 'Service targetPort admin', (o) => { find(o, 'Service', 'triad').spec.ports[0].targetPort = 'admin'; }],
  ['Services, Ingress and selectors reach the pods they mean', 'Service selector typo', (o) => { find(o, 'Service', 'redis').spec.selector['app.kubernetes.io/name'] = 'rediss'; }],
  ['Services, Ingress and selectors reach the pods they mean', 'Ingress to a missing port', (o) => { ing(o).spec.rules[0].http.paths[0].backend.service.port = { name: 'web' }; }],
  ['Ingress body size and timeouts equal the nginx/ directives of Compose', 'nginx body size raised', (o, f) => { f.nginx.client_max_body_size = [{ file: 'nginx/nginx.conf', value: '1m' }]; }],
  ['Ingress body size and timeouts equal the nginx/ directives of Compose', 'nginx read timeout 30s', (o, f) => { f.nginx.proxy_read_timeout = [{ file: 'nginx/x.conf', value: '30s' }]; }],
  ['Ingress body size and timeouts equal the nginx/ directives of Compose', 'annotation with a unit', (o) => { ing(o).metadata.annotations['nginx.ingress.kubernetes.io/proxy-connect-timeout'] = '2s'; }],
  ['Ingress body size and timeouts equal the nginx/ directives of Compose', 'nginx/ lost a directive', (o, f) => { f.nginx.proxy_send_timeout = []; }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'db/init.sql changed', (o, f) => { f.initdb['20-init.sql'] += 'CREATE INDEX x ON items (name);\n'; }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'db/roles.sh changed', (o, f) => { f.initdb['10-roles.sh'] = f.initdb['10-roles.sh'].replace('NOSUPERUSER', 'SUPERUSER'); }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'only a trailing newline differs', (o, f) => { f.initdb['20-init.sql'] += '\n'; }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'roles script left out', (o) => { delete find(o, 'ConfigMap', 'triad-initdb').data['10-roles.sh']; }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'not mounted', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].volumeMounts = ss(o, 'postgres').spec.template.spec.containers[0].volumeMounts.filter((m) => m.name !== 'initdb'); }],
  ['init ConfigMap holds db/roles.sh and db/init.sql byte for byte, under the names Compose mounts them, and is mounted into postgres', 'Compose mounts init.sql under another name (another order)', (o, f) => { f.compose.postgres.volumes = f.compose.postgres.volumes.map((v) => v.replace('20-init.sql', '05-init.sql')); }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'service connects as the superuser', (o) => { cm(o).data.DB_USER = 'postgres'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'service connects as the owner', (o) => { cm(o).data.DB_USER = 'triad_owner'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'superuser is the service role again', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'POSTGRES_USER').value = 'triad'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'init.sql grants to the owner too', (o, f) => { f.roles.app.push('triad_owner'); }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'triad mounts the admin Secret', (o) => { dep(o).spec.template.spec.volumes.push({ name: 'admin', secret: { secretName: 'triad-db-admin' } }); }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'triad mounts every key of triad-secrets', (o) => { delete dep(o).spec.template.spec.volumes.find((v) => v.secret).secret.items; }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'owner password from the service Secret', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'TRIAD_OWNER_PASSWORD_FILE').value = '/run/secrets/triad/db-password'; }],
  ['PostgreSQL roles: the service connects as the DML role of db/init.sql, neither owner nor superuser; their passwords reach postgres only', 'initdb trusts localhost again', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env = ss(o, 'postgres').spec.template.spec.containers[0].env.filter((e) => e.name !== 'POSTGRES_INITDB_ARGS'); }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'PGDATA is the volume root', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'PGDATA').value = '/var/lib/postgresql/data'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'superuser password from the service Secret', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].env.find((e) => e.name === 'POSTGRES_PASSWORD_FILE').value = '/run/secrets/triad/db-password'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'another image', (o) => { ss(o, 'postgres').spec.template.spec.containers[0].image = 'postgres:16'; }],
  ['PostgreSQL: the image of Compose, password file from the Secret, PGDATA below the volume, PVC per replica', 'Compose moves to postgres 18', (o, f) => { f.composeImages.postgres = 'postgres:18-alpine'; }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'Compose moves to redis 8', (o, f) => { f.composeImages.redis = 'redis:8-alpine'; }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'AOF off', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('--appendonly yes', '--appendonly no')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'no maxmemory', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace(/ --maxmemory \S+/, '')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'maxmemory above the limit', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace(/--maxmemory \S+/, '--maxmemory 300mb')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'allkeys-lru evicts the request count', (o) => { const c = ss(o, 'redis').spec.template.spec.containers[0]; c.args = c.args.map((a) => a.replace('volatile-lru', 'allkeys-lru')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'Compose changes its maxmemory', (o, f) => { f.compose.redis.command = f.compose.redis.command.map((a) => a.replace(/--maxmemory \S+/, '--maxmemory 100mb')); }],
  ['Redis: the image of Compose, AOF on a PVC, password from the Secret, health checks', 'no readiness probe', (o) => { delete ss(o, 'redis').spec.template.spec.containers[0].readinessProbe; }],
  ['NetworkPolicies: default deny; databases accept triad only; triad accepts ingress-nginx on http and monitoring on admin', 'postgres open to all pods', (o) => { np(o, 'postgres').spec.ingress[0].from = [{ podSelector: {} }]; }],
  ['NetworkPolicies: default deny; databases accept triad only; triad accepts ingress-nginx on http and monitoring on admin', 'admin port open to ingress-nginx', (o) => { np(o, 'triad').spec.ingress[0].ports.push({ port: 'admin', protocol: 'TCP' }); }],
  ['NetworkPolicies: default deny; databases accept triad only; triad accepts ingress-nginx on http and monitoring on admin', 'no default deny', (o) => { o.splice(o.indexOf(np(o, 'default-deny-all')), 1); }],
  ['NetworkPolicies: default deny; databases accept triad only; triad accepts ingress-nginx on http and monitoring on admin', 'no egress to redis', (o) => { np(o, 'triad').spec.egress.pop(); }],
];

describe('each consistency check fails when its fact breaks', () => {
  test('every check has at least one breakage', () => {
    const covered = new Set(breakages.map(([c]) => c));
    assert.deepEqual(Object.keys(checks).filter((c) => !covered.has(c)), []);
  });
  for (const [name, what, mutate] of breakages) {
    test(`${what} → "${name}" fails`, () => {
      assert.ok(checks[name], `no check named ${name}`);
      const { objs: o, facts: f } = clone();
      mutate(o, f);
      const problems = checks[name](o, f);
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
  test('ISO durations', () => {
    assert.equal(isoSeconds('PT10S'), 10);
    assert.equal(isoSeconds('PT1M30S'), 90);
    assert.throws(() => isoSeconds('10s'));
  });
});
