// (auth) The authentication component k8s/components/auth (issue 21), rendered on top of base/
// as an overlay would: its variables reach the service and are the ones the service reads, its
// objects are valid and pass every other check of the project, the egress policy lets only the
// triad pods reach the issuer on 443, and `make k8s-prod-check` (auth-check.mjs) fails on the
// committed placeholders and passes once they are filled in.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderKustomization } from './lib/load.mjs';
import { checks, containerEnv, find } from './lib/checks.mjs';
import { loadFacts } from './lib/facts.mjs';
import { validateObject } from './lib/schema.mjs';
import { restrictedViolations, podSpecs } from './lib/pss.mjs';
import { BASE, COMPONENTS, K8S, SRC_MAIN } from './lib/paths.mjs';
import { authProblems } from './auth-check.mjs';

const COMPONENT = path.join(COMPONENTS, 'auth');

/** base/ plus the component, the way an overlay adds it (a kustomization in a temporary folder). */
function render() {
  const dir = fs.mkdtempSync(path.join(K8S, 'test', '.auth-'));
  try {
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${path.relative(dir, BASE)}]`,
      `components: [${path.relative(dir, COMPONENT)}]`,
      '',
    ].join('\n'));
    return renderKustomization(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const objs = render();
const facts = loadFacts();
const env = () => containerEnv(objs, find(objs, 'Deployment', 'triad').spec.template.spec.containers.find((c) => c.name === 'triad'));
const settingsJava = fs.readFileSync(path.join(SRC_MAIN, 'io', 'triad', 'config', 'Settings.java'), 'utf8');

/** A copy with the placeholders replaced, as a deployment would set them (Keycloak in the cluster here). */
function filled() {
  const o = structuredClone(objs);
  Object.assign(find(o, 'ConfigMap', 'triad-config').data, {
    AUTH_ISSUER: 'https://keycloak.example.com/realms/triad',
    AUTH_AUDIENCE: 'triad',
    AUTH_JWKS_URL: 'https://keycloak.example.com/realms/triad/protocol/openid-connect/certs',
  });
  find(o, 'NetworkPolicy', 'triad-auth-issuer').spec.egress[0].to[0].ipBlock.cidr = '10.20.30.40/32';
  return o;
}

describe('k8s/components/auth on top of base/', () => {
  test('the service gets AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL and AUTH_READS from triad-config', () => {
    for (const name of ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_READS']) assert.ok(env().has(name), name);
    assert.equal(env().get('AUTH_READS').value, 'public');
  });

  test('every AUTH_ variable it sets is one the service reads (config/Settings.java)', () => {
    const read = new Set(settingsJava.match(/"AUTH_[A-Z_]+"/g).map((s) => s.slice(1, -1)));
    for (const name of env().keys()) if (name.startsWith('AUTH_')) assert.ok(read.has(name), `${name} is not read by Settings.java`);
  });

  test('its objects validate against the API schema and the pods stay Pod Security restricted', async () => {
    const errors = [];
    for (const o of objs) for (const e of await validateObject(o)) errors.push(`${o.kind}/${o.metadata?.name}: ${e}`);
    assert.deepEqual(errors, []);
    for (const { where, spec } of podSpecs(objs)) assert.deepEqual(restrictedViolations(spec), [], where);
  });

  test('every check of the project passes (AUTH_* are variables of docs/API.md)', () => {
    for (const [name, check] of Object.entries(checks)) {
      assert.deepEqual(check(objs, facts, { id: 'auth', ha: true, image: 'tag', monitoring: false }), [], name);
    }
  });

  test('egress to the issuer: only the triad pods, only TCP 443, nothing else opened', () => {
    const np = find(objs, 'NetworkPolicy', 'triad-auth-issuer');
    assert.deepEqual(np.spec.policyTypes, ['Egress']);
    assert.deepEqual(np.spec.podSelector.matchLabels, find(objs, 'Deployment', 'triad').spec.selector.matchLabels);
    assert.equal(np.spec.egress.length, 1);
    assert.deepEqual(np.spec.egress[0].ports, [{ port: 443, protocol: 'TCP' }]);
    assert.ok(!np.spec.ingress, 'no ingress rule');
  });

  test('make k8s-prod-check fails on each committed placeholder', () => {
    const problems = authProblems(objs);
    for (const name of ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL']) {
      assert.ok(problems.some((p) => p.startsWith(`${name} is still the placeholder`)), `${name}: ${problems.join('; ')}`);
    }
    assert.ok(problems.some((p) => p.includes('still allows the placeholder 192.0.2.1/32')), problems.join('; '));
    assert.equal(problems.length, 4, problems.join('; '));
  });

  test('make k8s-prod-check passes once they are filled in, and names what a half-done copy lacks', () => {
    assert.deepEqual(authProblems(filled()), []);
    const http = filled();
    find(http, 'ConfigMap', 'triad-config').data.AUTH_JWKS_URL = 'http://keycloak.example.com/certs';
    assert.deepEqual(authProblems(http), ["AUTH_JWKS_URL='http://keycloak.example.com/certs' is not https://: the service refuses it outside localhost"]);
    const noPolicy = filled().filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'triad-auth-issuer'));
    assert.deepEqual(authProblems(noPolicy), ['no NetworkPolicy triad-auth-issuer: the pods cannot reach the issuer (default-deny egress)']);
  });

  test('make k8s-prod-check fails on base/ alone: an overlay without the component is open', () => {
    const problems = authProblems(renderKustomization(BASE));
    assert.ok(problems.some((p) => p === 'AUTH_ISSUER is not set: add components: [../../components/auth] to the overlay'), problems.join('; '));
  });
});
