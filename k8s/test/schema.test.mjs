// (1) Every manifest under k8s/ is a valid object of the Kubernetes API (see lib/schema.mjs),
// and the validator is strict: the broken fixtures in fixtures/invalid/ must all fail.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { allManifestFiles, parseYamlFile } from './lib/load.mjs';
import { validateObject, KUBERNETES_API_RELEASE, VALIDATORS } from './lib/schema.mjs';
import { K8S } from './lib/paths.mjs';
import { VARIANTS, objectsOf } from './lib/variants.mjs';
import { vendoredCrdFiles, sha256, CRD_DIR, CRD_GROUPS, crdOf, structural } from './lib/crd.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const rel = (f) => path.relative(path.dirname(K8S), f);

test(`validators target Kubernetes ${KUBERNETES_API_RELEASE} (${Object.entries(VALIDATORS).map(([k, v]) => `${k} ${v}`).join(', ')})`, () => {
  assert.match(KUBERNETES_API_RELEASE, /^1\.\d+$/);
  assert.ok(Number(KUBERNETES_API_RELEASE.split('.')[1]) >= 34, 'the sleep preStop action is GA from 1.34');
});

describe('every manifest validates against the Kubernetes API schema', () => {
  const files = allManifestFiles();
  test('there are manifests', () => assert.ok(files.length >= 6, files.join(', ')));
  for (const file of files) {
    test(rel(file), async () => {
      const objs = parseYamlFile(file);
      assert.ok(objs.length > 0, 'no object in the file');
      const errors = [];
      for (const obj of objs) {
        for (const e of await validateObject(obj)) errors.push(`${obj.kind}/${obj.metadata?.name}: ${e}`);
      }
      assert.deepEqual(errors, []);
    });
  }
});

// What the overlays' patches, images and replacements produce must be valid too.
for (const v of VARIANTS) {
  describe(`every object of ${v.name} validates against the API schema`, () => {
    test('valid', async () => {
      const errors = [];
      for (const obj of objectsOf(v)) {
        for (const e of await validateObject(obj)) errors.push(`${obj.kind}/${obj.metadata?.name}: ${e}`);
      }
      assert.deepEqual(errors, []);
    });
  });
}

// Negative checks: a validator that accepts these would let the same mistakes through in k8s/.
const expectations = {
  'unknown-field.yaml': /unknown field "imagePullPolicyy"/,
  'misplaced-field.yaml': /unknown field "readOnlyRootFilesystem" in V1PodSecurityContext/,
  'wrong-type.yaml': /\/spec\/replicas must be integer/,
  'wrong-type-port.yaml': /\/spec\/ports\/0\/port must be integer/,
  'missing-required.yaml': /must have required property '?name'?/,
  'bad-enum.yaml': /pathType must be equal to one of the allowed values/,
  'unknown-kind.yaml': /no schema for autoscaling\/v3 HorizontalPodAutoscaler/,
  'podmonitor-unknown-field.yaml': /\/spec\/endpoints: unknown field "endpoints"/,
  'prometheusrule-missing-expr.yaml': /must have required property '?expr'?/,
  // Against the vendored CRDs (crds/): CloudNativePG, the Barman Cloud plugin, the Gateway API.
  'httproute-unknown-field.yaml': /\/spec\/rules\/0\/timeouts\/requestTimeout: unknown field "requestTimeout"/,
  'httproute-bad-duration.yaml': /timeouts\/request must match pattern/,
  'httproute-experimental-retry.yaml': /\/spec\/rules\/0\/retry: unknown field "retry"/,
  'httproute-redirect-bad-status.yaml': /requestRedirect\/statusCode must be equal to one of the allowed values \(301, 302, 303, 307, 308\)/,
  'cnpg-cluster-misplaced-synchronous.yaml': /\/spec\/synchronous: unknown field "synchronous"/,
  'cnpg-cluster-wrong-type.yaml': /\/spec\/instances must be integer/,
  'cnpg-cluster-missing-required.yaml': /\/spec\/postgresql\/synchronous must have required property 'number'/,
  'cnpg-cluster-bad-enum.yaml': /dataDurability must be equal to one of the allowed values/,
  'cnpg-cluster-bad-metadata.yaml': /\/metadata\/label: unknown field "label" in V1ObjectMeta/,
  'cnpg-scheduledbackup-missing-schedule.yaml': /\/spec must have required property 'schedule'/,
  'objectstore-unknown-field.yaml': /s3Credentials\/accessKeyID: unknown field "accessKeyID"/,
  'objectstore-bad-retention.yaml': /retentionPolicy must match pattern/,
};

describe('the validator rejects broken manifests (negative checks)', () => {
  const dir = path.join(here, 'fixtures', 'invalid');
  test('every fixture has an expectation', () => {
    assert.deepEqual(fs.readdirSync(dir).sort(), Object.keys(expectations).sort());
  });
  for (const [name, expected] of Object.entries(expectations)) {
    test(`fixtures/invalid/${name} fails with ${expected}`, async () => {
      const [obj] = parseYamlFile(path.join(dir, name));
      const errors = await validateObject(obj);
      assert.ok(errors.length > 0, `${name} was accepted`);
      assert.ok(errors.some((e) => expected.test(e)), `expected ${expected}, got:\n${errors.join('\n')}`);
    });
  }
});

describe('the vendored CRDs (crds/README.md)', () => {
  const readme = fs.readFileSync(path.join(CRD_DIR, 'README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\| `([^`]+)` \| (github\.com\/[\w.-]+\/[\w.-]+) \| `([^`]+)` \| (v[\d.]+) \| ([0-9a-f]{40}) \| ([0-9a-f]{64}) \|$/gm)]
    .map((m) => [m[1], { repo: m[2], path: m[3], tag: m[4], commit: m[5], sha256: m[6] }]));
  test('every vendored file is listed with its source, tag and commit, and is byte for byte what was copied (sha256)', () => {
    const files = vendoredCrdFiles().map((f) => path.relative(CRD_DIR, f));
    assert.deepEqual([...rows.keys()].sort(), files);
    for (const f of files) {
      assert.equal(sha256(path.join(CRD_DIR, f)), rows.get(f).sha256, `${f} was changed after it was copied`);
      assert.equal(path.basename(rows.get(f).path), path.basename(f));
    }
  });
  test('CloudNativePG, its ScheduledBackup, the Barman Cloud ObjectStore and the Gateway API HTTPRoute are vendored', () => {
    assert.deepEqual([...CRD_GROUPS].sort(), ['barmancloud.cnpg.io', 'gateway.networking.k8s.io', 'postgresql.cnpg.io']);
    for (const [apiVersion, kind] of [['postgresql.cnpg.io/v1', 'Cluster'], ['postgresql.cnpg.io/v1', 'ScheduledBackup'], ['barmancloud.cnpg.io/v1', 'ObjectStore'], ['gateway.networking.k8s.io/v1', 'HTTPRoute']]) assert.ok(crdOf(apiVersion, kind), `${apiVersion} ${kind}`);
  });
  test('the Gateway API CRD is the standard channel (what the README and CI install), not the experimental one', () => {
    const { file } = crdOf('gateway.networking.k8s.io/v1', 'HTTPRoute');
    const crd = YAML.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(crd.metadata.annotations['gateway.networking.k8s.io/channel'], 'standard');
  });
  test('every custom resource of prod of a vendored group is one the CRDs define', () => {
    const prod = objectsOf(VARIANTS.find((v) => v.id === 'prod'));
    const crs = prod.filter((o) => CRD_GROUPS.has(o.apiVersion.split('/')[0]));
    assert.deepEqual([...new Set(crs.map((o) => o.kind))].sort(), ['Cluster', 'HTTPRoute', 'ObjectStore', 'ScheduledBackup']);
    for (const o of crs) assert.ok(crdOf(o.apiVersion, o.kind), `${o.apiVersion} ${o.kind}`);
  });
  test('strict like the API server: an object schema admits only its properties unless it preserves unknown fields or is a map', () => {
    const s = structural({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } }, m: { type: 'object', additionalProperties: { type: 'string' } }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } });
    assert.equal(s.properties.a.additionalProperties, false);
    assert.deepEqual(s.properties.m.additionalProperties, { type: 'string' });
    assert.equal(s.properties.free.additionalProperties, undefined);
  });
});
