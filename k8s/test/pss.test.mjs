// (3) Every pod spec applied by `kubectl apply -f k8s/` meets Pod Security "restricted"
// (the namespace also enforces it on the cluster) and the project's hardening rules.
// Broken copies must be reported, so the checker cannot pass by accident.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { restrictedViolations, hardeningViolations, podSpecs } from './lib/pss.mjs';
import { find } from './lib/checks.mjs';
import { VARIANTS, objectsOf } from './lib/variants.mjs';

const objs = objectsOf(VARIANTS[0]);

for (const v of VARIANTS) {
  describe(`Pod Security "restricted" and hardening, every pod spec: ${v.name}`, () => {
    const vobjs = objectsOf(v);
    const specs = podSpecs(vobjs);
    test('the namespace enforces restricted', () => {
      const ns = find(vobjs, 'Namespace', 'triad');
      assert.equal(ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    });
    // prod: PostgreSQL's pods are the CloudNativePG operator's (restricted-compliant by its
    // own design, and the namespace enforces restricted on them too); the sentinels are ours.
    test('every workload is checked (triad, its migration Job, PostgreSQL unless CloudNativePG runs it, redis, the sentinels where they are)', () => {
      const want = ['Deployment/triad', 'Job/triad-migrate', 'StatefulSet/redis',
        ...(v.db === 'cnpg' ? [] : ['StatefulSet/postgres']), ...(v.redis === 'sentinel' ? ['StatefulSet/redis-sentinel'] : [])];
      assert.deepEqual(specs.map((s) => s.where).sort(), want.sort());
    });
    for (const { where, spec } of specs) {
      test(`${where}: restricted`, () => assert.deepEqual(restrictedViolations(spec), []));
      test(`${where}: hardening (numeric user, read-only root, requests and limits, /tmp emptyDir, read-only secrets)`, () => assert.deepEqual(hardeningViolations(spec), []));
    }
  });
}

const base = () => structuredClone(find(objs, 'Deployment', 'triad').spec.template.spec);
const c0 = (s) => s.containers[0];
const restrictedBreakages = [
  ['runs as root', (s) => { s.securityContext.runAsUser = 0; }],
  ['runAsNonRoot missing', (s) => { delete s.securityContext.runAsNonRoot; }],
  ['privilege escalation allowed', (s) => { delete c0(s).securityContext.allowPrivilegeEscalation; }],
  ['capabilities kept', (s) => { c0(s).securityContext.capabilities.drop = ['NET_RAW']; }],
  ['capability added', (s) => { c0(s).securityContext.capabilities.add = ['SYS_ADMIN']; }],
  ['no seccomp profile', (s) => { delete s.securityContext.seccompProfile; }],
  ['seccomp Unconfined in a container', (s) => { c0(s).securityContext.seccompProfile = { type: 'Unconfined' }; }],
  ['privileged', (s) => { c0(s).securityContext.privileged = true; }],
  ['hostNetwork', (s) => { s.hostNetwork = true; }],
  ['hostPath volume', (s) => { s.volumes.push({ name: 'h', hostPath: { path: '/' } }); }],
  ['hostPort', (s) => { c0(s).ports[0].hostPort = 8080; }],
  ['an init container that breaks the rules', (s) => { s.initContainers = [{ name: 'init', image: 'busybox:1' }]; }],
  ['unsafe sysctl', (s) => { s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }],
];
const hardeningBreakages = [
  ['writable root filesystem', (s) => { c0(s).securityContext.readOnlyRootFilesystem = false; }],
  ['no memory limit', (s) => { delete c0(s).resources.limits.memory; }],
  ['no cpu request', (s) => { delete c0(s).resources.requests.cpu; }],
  ['no /tmp emptyDir', (s) => { c0(s).volumeMounts = c0(s).volumeMounts.filter((m) => m.mountPath !== '/tmp'); }],
  ['service account token mounted', (s) => { delete s.automountServiceAccountToken; }],
  ['secret files world-readable', (s) => { s.volumes.find((v) => v.secret).secret.defaultMode = 0o444; }],
  ['no runAsUser', (s) => { delete s.securityContext.runAsUser; }],
];

describe('the checker reports broken pod specs (negative checks)', () => {
  for (const [what, mutate] of restrictedBreakages) {
    test(`restricted: ${what}`, () => { const s = base(); mutate(s); assert.ok(restrictedViolations(s).length > 0); });
  }
  for (const [what, mutate] of hardeningBreakages) {
    test(`hardening: ${what}`, () => { const s = base(); mutate(s); assert.ok(hardeningViolations(s).length > 0); });
  }
});
