// k8s/examples/secret-dev.yaml (issue 22, point 8): the development Secrets are marked as such,
// every value is an obvious placeholder (dev-only-...), and they hold every key that the plain
// directory and the dev overlay mount, so `kubectl apply -f k8s/examples/secret-dev.yaml` is
// enough on a throw-away cluster. (Compose's counterpart, `make secrets` refusing placeholders,
// is compose/test/secrets.test.mjs; real Secrets are made with random values, k8s/README.md.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { K8S } from './lib/paths.mjs';
import { VARIANTS, objectsOf } from './lib/variants.mjs';
import { podSpecs } from './lib/pss.mjs';

const FILE = path.join(K8S, 'examples', 'secret-dev.yaml');
const text = fs.readFileSync(FILE, 'utf8');
const secrets = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o?.kind === 'Secret');

test('secret-dev.yaml says it is a development example, never applied by kubectl apply -f k8s/', () => {
  assert.match(text.split('\n')[0], /^# DEVELOPMENT EXAMPLE ONLY/);
  assert.ok(secrets.length >= 3, `${secrets.length} Secrets`);
});

test('every value of secret-dev.yaml is a dev-only placeholder', () => {
  for (const s of secrets) {
    assert.equal(s.data, undefined, `${s.metadata.name}: data (base64) hides what the value is; use stringData`);
    for (const [k, v] of Object.entries(s.stringData ?? {})) assert.match(v, /^dev-only-/, `${s.metadata.name}/${k}`);
  }
});

for (const v of VARIANTS.filter((x) => x.db === 'statefulset')) {
  test(`secret-dev.yaml holds every Secret key that ${v.name} mounts`, () => {
    const have = new Set(secrets.flatMap((s) => Object.keys(s.stringData ?? {}).map((k) => `${s.metadata.name}/${k}`)));
    const missing = new Set();
    for (const { where, spec } of podSpecs(objectsOf(v))) {
      for (const vol of spec.volumes ?? []) {
        if (!vol.secret) continue;
        for (const it of vol.secret.items ?? []) if (!have.has(`${vol.secret.secretName}/${it.key}`)) missing.add(`${vol.secret.secretName}/${it.key} (${where})`);
      }
    }
    assert.deepEqual([...missing], []);
  });
}
