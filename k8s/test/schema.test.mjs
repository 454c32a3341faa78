// (1) Every manifest under k8s/ is a valid object of the Kubernetes API (see lib/schema.mjs),
// and the validator is strict: the broken fixtures in fixtures/invalid/ must all fail.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allManifestFiles, parseYamlFile } from './lib/load.mjs';
import { validateObject, KUBERNETES_API_RELEASE, VALIDATORS } from './lib/schema.mjs';
import { K8S } from './lib/paths.mjs';
import { VARIANTS, objectsOf } from './lib/variants.mjs';

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
  'httproute-unknown-field.yaml': /\/spec\/rules\/0\/timeouts\/requestTimeout: unknown field "requestTimeout"/,
  'httproute-bad-duration.yaml': /timeouts\/request must match pattern/,
  'podmonitor-unknown-field.yaml': /\/spec\/endpoints: unknown field "endpoints"/,
  'prometheusrule-missing-expr.yaml': /must have required property '?expr'?/,
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
