// (5) The kind job of CI runs what users run: each of its commands is a command of
// k8s/README.md (or a make target of the Makefile). Diagnostics (if: failure()) are exempt.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO, K8S } from './lib/paths.mjs';
import { renderKustomization } from './lib/load.mjs';

/** Shell command lines of a script: continuations joined, comments and blank lines dropped, blanks collapsed. */
export function commands(script) {
  return String(script).replace(/\\\n\s*/g, ' ').split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

const readme = fs.readFileSync(path.join(K8S, 'README.md'), 'utf8');
const documented = new Set([...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => commands(m[1])));
const makeTargets = new Set([...fs.readFileSync(path.join(REPO, 'Makefile'), 'utf8').matchAll(/^([a-zA-Z0-9_-]+):/gm)].map((m) => m[1]));
const ci = YAML.parse(fs.readFileSync(path.join(REPO, '.github', 'workflows', 'ci.yml'), 'utf8'));

export function undocumented(job, known = documented, targets = makeTargets) {
  const out = [];
  for (const step of job?.steps ?? []) {
    if (!step.run || (step.if && step.if !== 'always()')) continue;
    for (const c of commands(step.run)) {
      const make = /^make ([a-zA-Z0-9_-]+)$/.exec(c);
      if (make ? !targets.has(make[1]) : !known.has(c)) out.push(`${step.name ?? 'a step'}: ${c}`);
    }
  }
  return out;
}

describe('the kind job of CI', () => {
  test('exists, deploys the dev overlay, runs the smoke test and deletes its cluster', () => {
    const run = (ci.jobs?.kind?.steps ?? []).map((s) => s.run ?? '').join('\n');
    for (const c of ['kind create cluster', 'kind load docker-image', 'kubectl apply -k k8s/overlays/dev', 'rollout status', 'k8s/smoke.sh', 'kind delete cluster']) assert.ok(run.includes(c), c);
    assert.equal(ci.jobs.kind.steps.find((s) => /kind delete cluster/.test(s.run ?? ''))?.if, 'always()');
  });
  test('runs only commands k8s/README.md documents', () => assert.deepEqual(undocumented(ci.jobs.kind), []));
  test('a command missing from the README is reported', () => {
    const job = structuredClone(ci.jobs.kind);
    job.steps.push({ name: 'extra', run: 'kubectl -n triad patch deployment triad --patch "{}"' });
    assert.deepEqual(undocumented(job), ['extra: kubectl -n triad patch deployment triad --patch "{}"']);
  });
  test('the image it loads is the one the dev overlay runs', () => {
    const loaded = /kind load docker-image (\S+)/.exec(ci.jobs.kind.steps.map((s) => s.run ?? '').join('\n'))?.[1];
    const pom = fs.readFileSync(path.join(REPO, 'pom.xml'), 'utf8');
    const version = /<\/parent>[\s\S]*?<version>([^<]+)<\/version>/.exec(pom)?.[1];
    const name = /<image\.name>([^<]+)<\/image\.name>/.exec(pom)?.[1];
    assert.equal(loaded, `${name}:${version}`);
  });
});

// The Gateway API CRDs a cluster gets are the ones the HTTPRoutes are validated against.
describe('the Gateway API version', () => {
  test('CI\'s kind jobs and k8s/README.md install the standard channel of the release whose HTTPRoute CRD is vendored', () => {
    const vendored = /gateway\.networking\.k8s\.io_httproutes\.yaml` \| github\.com\/kubernetes-sigs\/gateway-api \| `config\/crd\/standard\/[^`]+` \| (v\d+\.\d+\.\d+) \|/.exec(fs.readFileSync(path.join(K8S, 'test', 'crds', 'README.md'), 'utf8'))?.[1];
    assert.ok(vendored, 'crds/README.md lists no standard-channel HTTPRoute CRD');
    const installs = (text) => [...text.matchAll(/gateway-api\/releases\/download\/(v[\d.]+)\/(\S+?\.yaml)/g)].map((m) => `${m[1]}/${m[2]}`);
    for (const job of ['kind', 'kind-ha']) assert.deepEqual(installs(ci.jobs[job].steps.map((s) => s.run ?? '').join('\n')), [`${vendored}/standard-install.yaml`], job);
    const inReadme = installs(readme);
    assert.ok(inReadme.length > 0 && inReadme.every((x) => x === `${vendored}/standard-install.yaml`), `k8s/README.md installs ${inReadme.join(', ')}`);
  });
});

// The kind-ha job: prod's data tier on kind, with the commands of k8s/README.md too.
describe('the kind-ha job of CI', () => {
  test('exists, installs the CloudNativePG operator from its release manifest, deploys k8s/test/kind-ha, waits for the Cluster, runs the smoke test, deletes its cluster', () => {
    const run = (ci.jobs?.['kind-ha']?.steps ?? []).map((s) => s.run ?? '').join('\n');
    for (const c of ['kind create cluster', '/releases/cnpg-', 'kubectl apply -k k8s/test/kind-ha', 'wait --for=condition=Ready cluster/triad-db', 'k8s/smoke.sh', 'kind delete cluster']) assert.ok(run.includes(c), c);
    assert.equal(ci.jobs['kind-ha'].steps.find((s) => /kind delete cluster/.test(s.run ?? ''))?.if, 'always()');
  });
  test('runs only commands k8s/README.md documents', () => assert.deepEqual(undocumented(ci.jobs['kind-ha']), []));
  test('the operator it installs is the version whose CRDs k8s/test validates against', () => {
    const run = ci.jobs['kind-ha'].steps.map((s) => s.run ?? '').join('\n');
    const installed = /releases\/cnpg-(\d+\.\d+\.\d+)\.yaml/.exec(run)?.[1];
    const vendored = /postgresql\.cnpg\.io_clusters\.yaml` \| github\.com\/cloudnative-pg\/cloudnative-pg \| `[^`]+` \| v(\d+\.\d+\.\d+) \|/.exec(fs.readFileSync(path.join(K8S, 'test', 'crds', 'README.md'), 'utf8'))?.[1];
    assert.ok(installed && installed === vendored, `installs ${installed}, CRDs of ${vendored}`);
    assert.match(readme, new RegExp(`releases/cnpg-${vendored.replace(/\./g, '\\.')}\\.yaml`), 'the README installs it too');
  });
  test('k8s/test/kind-ha is prod\'s data tier: the same Cluster but for the backup plugin, the same Redis, no backups, no Prometheus Operator objects, no token issuer', () => {
    const key = (o) => `${o.kind}/${o.metadata.name}`;
    const prod = renderKustomization(path.join(K8S, 'overlays', 'prod'));
    const ha = renderKustomization(path.join(K8S, 'test', 'kind-ha'));
    const left = ['ObjectStore/triad-backups', 'ScheduledBackup/triad-db-daily', 'PodMonitor/triad', 'PodMonitor/triad-db', 'PrometheusRule/triad', 'NetworkPolicy/triad-auth-issuer'];
    assert.deepEqual(ha.map(key).sort(), prod.map(key).filter((k) => !left.includes(k)).sort());
    const cluster = structuredClone(prod.find((o) => o.kind === 'Cluster'));
    delete cluster.spec.plugins;
    assert.deepEqual(ha.find((o) => o.kind === 'Cluster'), cluster);
    for (const name of ['redis', 'redis-sentinel']) assert.deepEqual(ha.find((o) => key(o) === `StatefulSet/${name}`), prod.find((o) => key(o) === `StatefulSet/${name}`));
    // The same policies (triad's admits another Gateway namespace: the base's, as in -f k8s/).
    for (const o of ha.filter((x) => x.kind === 'NetworkPolicy')) {
      const p = prod.find((x) => key(x) === key(o));
      if (o.metadata.name === 'triad') assert.deepEqual(o.spec.egress, p.spec.egress, key(o));
      else assert.deepEqual(o, p, key(o));
    }
    // The same settings but authentication (components/auth: kind-ha writes without a token).
    const withoutAuth = (data) => Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith('AUTH_')));
    assert.deepEqual(ha.find((o) => o.kind === 'ConfigMap').data, withoutAuth(prod.find((o) => o.kind === 'ConfigMap').data));
  });
});
