#!/usr/bin/env node
// The development issuer of `make up AUTH=1`: an ES256 key pair in the secrets folder and
// access tokens (RFC 9068 shape) signed with it, for `make token`. Node's own crypto only:
// it makes the key pair, exports JWKs and signs ES256 in the JOSE form (r||s, not DER), so
// no package, no image and no openssl post-processing is needed. Development only: a real
// deployment points AUTH_ISSUER and AUTH_JWKS_URL at its identity provider (k8s/README.md).
//
//   node compose/dev-issuer.mjs keygen <secrets dir>
//   node compose/dev-issuer.mjs token <secrets dir> <issuer> <audience> <scope> <ttl: 90s, 30m, 1h, 7d>
import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PRIVATE = 'auth_dev_issuer_private.jwk';
const PUBLIC = 'auth_jwks.json';

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function writeAtomically(path, text, mode) {
  writeFileSync(`${path}.tmp`, text, { mode });
  chmodSync(`${path}.tmp`, mode);
  renameSync(`${path}.tmp`, path);
}

function keygen(dir) {
  const privatePath = join(dir, PRIVATE);
  if (existsSync(privatePath)) {
    // Kept across runs: tokens already handed out stay valid. The public set is rewritten from
    // it, so a deleted or stale auth_jwks.json heals itself.
    const jwk = JSON.parse(readFileSync(privatePath, 'utf8'));
    const { d, ...pub } = jwk;
    writeAtomically(join(dir, PUBLIC), JSON.stringify({ keys: [pub] }), 0o444);
    return;
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `triad-dev-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const pub = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const priv = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  // The private key never leaves the host (mode 600); the instances get the public set only.
  writeAtomically(privatePath, JSON.stringify(priv), 0o600);
  writeAtomically(join(dir, PUBLIC), JSON.stringify({ keys: [pub] }), 0o444);
  process.stdout.write(`Made the development issuer's key pair (${kid}): ${privatePath} (private, mode 600, not committed) and ${join(dir, PUBLIC)} (public, mounted into web1-web3).\n`);
}

function seconds(ttl) {
  const m = /^([1-9][0-9]{0,6})([smhd])$/.exec(ttl);
  if (!m) fail(`TTL='${ttl}' is invalid: expected a number and a unit, such as 90s, 30m, 1h or 7d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function token(dir, issuer, audience, scope, ttl) {
  const privatePath = join(dir, PRIVATE);
  if (!existsSync(privatePath)) fail(`No development issuer key at ${privatePath}: start the stack with 'make up AUTH=1' first.`);
  const jwk = JSON.parse(readFileSync(privatePath, 'utf8'));
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'at+jwt', kid: jwk.kid };
  const claims = {
    iss: issuer, aud: audience, sub: process.env.USER || 'developer', client_id: 'triad-dev',
    iat: now, nbf: now, exp: now + seconds(ttl), jti: randomUUID(),
    ...(scope ? { scope } : {}),
  };
  const input = `${b64url(header)}.${b64url(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
  process.stdout.write(`${input}.${signature.toString('base64url')}\n`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'keygen' && args.length === 1) keygen(args[0]);
else if (command === 'token' && args.length === 5) token(...args);
else fail('usage: dev-issuer.mjs keygen <secrets dir> | token <secrets dir> <issuer> <audience> <scope> <ttl>');
