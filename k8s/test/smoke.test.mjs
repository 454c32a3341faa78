// k8s/smoke.sh can only meet a real cluster in CI's kind job; here it runs against a fake
// kubectl (fixtures/fake-kubectl) to check that it passes on a healthy deployment and names
// the fault on a broken one.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { K8S } from './lib/paths.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const smoke = (scenario) => spawnSync('bash', [path.join(K8S, 'smoke.sh')], {
  encoding: 'utf8',
  timeout: 60_000,
  env: { ...process.env, PATH: `${path.join(here, 'fixtures', 'fake-kubectl')}:${process.env.PATH}`, FAKE_SCENARIO: scenario },
});

describe('k8s/smoke.sh against a fake kubectl', () => {
  test('passes on two ready pods that both answer', () => {
    const r = smoke('ok');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /40 requests through Service triad spread over 2 pod\(s\)/);
    assert.match(r.stdout, /smoke: passed/);
  });
  test('fails when a ready pod gets no request', () => {
    const r = smoke('one-pod-silent');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /pod triad-7d9f-b answered none of 40 requests/);
  });
  test('fails when creating an item fails', () => {
    const r = smoke('create-fails');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /POST \/api\/items answered '503 '/);
  });
  test('fails when a pod is not ready on its admin port', () => {
    const r = smoke('not-ready');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /GET \/health\/ready on the admin port answered 503/);
  });
});
