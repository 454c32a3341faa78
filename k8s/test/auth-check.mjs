// `make k8s-prod-check`: does an overlay require authentication, with real values? Renders the
// overlay (default k8s/overlays/prod) and fails, one line per problem, while the auth component
// is missing or any of its placeholders is left. Not part of `make test` (the committed prod
// overlay carries placeholders on purpose: every deployment sets its own identity provider);
// run it before deploying. auth.test.mjs proves it fires on the committed component and passes
// on a filled-in copy.
//
//   node auth-check.mjs [overlay dir]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderKustomization } from './lib/load.mjs';
import { containerEnv, find } from './lib/checks.mjs';
import { OVERLAYS, REPO } from './lib/paths.mjs';

/** Documentation addresses (RFC 5737): the egress placeholder, never an issuer's address. */
const DOC_NETS = [/^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./];
const PLACEHOLDER = /REPLACE-ME/i;

/** What keeps these objects from requiring authentication against a real issuer: [] when nothing. */
export function authProblems(objs) {
  const p = [];
  const d = find(objs, 'Deployment', 'triad');
  const c = d?.spec.template.spec.containers.find((x) => x.name === 'triad');
  if (!c) return ['no Deployment triad with a container triad'];
  const env = containerEnv(objs, c);
  const value = (name) => env.get(name)?.value;
  for (const name of ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL']) {
    if (!env.has(name)) p.push(`${name} is not set: add components: [../../components/auth] to the overlay`);
    else if (PLACEHOLDER.test(value(name) ?? '')) p.push(`${name} is still the placeholder '${value(name)}': set it in k8s/components/auth/configmap-auth.yaml (or an overlay patch), see k8s/README.md "Authentication"`);
  }
  const url = value('AUTH_JWKS_URL');
  if (url && !PLACEHOLDER.test(url) && !url.startsWith('https://')) p.push(`AUTH_JWKS_URL='${url}' is not https://: the service refuses it outside localhost`);
  const np = find(objs, 'NetworkPolicy', 'triad-auth-issuer');
  if (!np) p.push('no NetworkPolicy triad-auth-issuer: the pods cannot reach the issuer (default-deny egress)');
  else {
    for (const rule of np.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        const cidr = peer.ipBlock?.cidr ?? '';
        if (DOC_NETS.some((n) => n.test(cidr))) p.push(`NetworkPolicy triad-auth-issuer still allows the placeholder ${cidr}: put the issuer's address (or selectors), see k8s/README.md "Authentication"`);
      }
    }
  }
  return p;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(OVERLAYS, 'prod'));
  const problems = authProblems(renderKustomization(dir));
  if (problems.length) {
    for (const line of problems) console.error(`${path.relative(REPO, dir)}: ${line}`);
    process.exit(1);
  }
  console.log(`${path.relative(REPO, dir)}: authentication required, issuer and network policy set`);
}
