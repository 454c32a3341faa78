// Issue 22, point 5: alerts reach someone. `make alerts-test` (part of `make test`), no stack.
//
// 1. A firing alert reaches the webhook that TRIAD_ALERT_WEBHOOK_URL names. Prometheus and
//    Alertmanager run as Compose runs them (image, command, user, read-only root, capabilities,
//    the observability/ files and the secret file mounted where the model of
//    compose/compose.yaml puts them), on a network of their own where Alertmanager answers to
//    its service name and web1-web3 do not exist: the project's TriadInstanceDown rule fires
//    for them. The webhook is this test's HTTP server on the network's gateway address; the
//    secret holds its URL with a random path, so a message on that path came through the file.
// 2. `make observe` renders that secret file from compose/.env, and refuses to start the
//    profile when the URL is missing (run on a compose/.env and secrets folder of the test's own).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, statSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN = `triad-alerts-test-${randomBytes(4).toString('hex')}`;
// TriadInstanceDown's `for` (30 s) + one scrape (5 s) + the route's group_wait (30 s), with room
// for a slow machine; the test ends as soon as the message arrives.
const DELIVERY_DEADLINE_MS = 150_000;

const tmp = mkdtempSync(path.join(os.tmpdir(), `${RUN}-`));
const containers = [];
let network;
let sink;
let webhookPath;

function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The services of the observe profile, as `docker compose config` renders them with the given secrets folder. */
function observeModel(secretsDir) {
  const r = spawnSync('docker', ['compose', '-f', path.join(ROOT, 'compose', 'compose.yaml'), '--profile', 'observe', 'config', '--format', 'json'],
    { encoding: 'utf8', env: { ...process.env, TRIAD_SECRETS_DIR: secretsDir } });
  assert.equal(r.status, 0, `docker compose config: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `docker run` arguments for a service of the model: its image, command, hardening, mounts and secrets. */
function runArgs(model, name) {
  const s = model.services[name];
  const args = ['--name', `${RUN}-${name}`, '--network', network, '--network-alias', name];
  if (s.user) args.push('--user', s.user);
  if (s.read_only) args.push('--read-only');
  if (s.mem_limit) args.push('--memory', String(s.mem_limit));
  if (s.pids_limit) args.push('--pids-limit', String(s.pids_limit));
  for (const c of s.cap_drop ?? []) args.push('--cap-drop', c);
  for (const o of s.security_opt ?? []) args.push('--security-opt', o);
  for (const t of s.tmpfs ?? []) args.push('--tmpfs', t);
  for (const v of s.volumes ?? []) {
    // A named volume (Prometheus' data) becomes an anonymous one, removed with the container.
    args.push('-v', v.type === 'bind' ? `${v.source}:${v.target}${v.read_only ? ':ro' : ''}` : v.target);
  }
  for (const sec of s.secrets ?? []) {
    // Compose bind-mounts a secret's file read-only at /run/secrets/<name> unless told otherwise.
    args.push('-v', `${model.secrets[sec.source].file}:${sec.target ?? `/run/secrets/${sec.source}`}:ro`);
  }
  return [...args, s.image, ...(s.command ?? [])];
}

/** An HTTP server on `host` that collects the JSON bodies POSTed to it and can await one. */
function webhookSink(host) {
  const received = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let json;
      try { json = JSON.parse(body); } catch { json = undefined; }
      const message = { method: req.method, path: req.url, contentType: req.headers['content-type'], json, body };
      received.push(message);
      for (const w of waiters.splice(0)) if (!w(message)) waiters.push(w);
      res.end();
    });
  });
  return {
    received,
    listen: () => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve(server.address().port));
    }),
    close: () => new Promise((resolve) => server.close(resolve)),
    /** Resolves with the first message (already received or to come) for which `match` is true. */
    await(match, ms, explain) {
      const old = received.find(match);
      if (old) return Promise.resolve(old);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(explain())), ms);
        waiters.push((m) => {
          if (!match(m)) return false;
          clearTimeout(timer);
          resolve(m);
          return true;
        });
      });
    },
  };
}

const logsOf = (name) => {
  const r = spawnSync('docker', ['logs', '--tail', '15', `${RUN}-${name}`], { encoding: 'utf8' });
  return `--- docker logs ${RUN}-${name} (last lines):\n${r.stdout}${r.stderr}`;
};

before(async () => {
  docker('network', 'create', RUN);
  network = RUN;
  const gateway = docker('network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}');
  sink = webhookSink(gateway);
  const port = await sink.listen();
  const secrets = path.join(tmp, 'secrets');
  mkdirSync(secrets, { mode: 0o700 });
  webhookPath = `/alerts/${randomBytes(8).toString('hex')}`;
  writeFileSync(path.join(secrets, 'alert_webhook_url'), `http://${gateway}:${port}${webhookPath}`, { mode: 0o444 });
  const model = observeModel(secrets);
  for (const name of ['alertmanager', 'prometheus']) {
    containers.push(`${RUN}-${name}`);
    docker('run', '-d', ...runArgs(model, name));
  }
});

after(async () => {
  for (const c of containers) spawnSync('docker', ['rm', '-f', '-v', c]);
  if (network) spawnSync('docker', ['network', 'rm', network]);
  await sink?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a firing alert reaches the webhook whose URL is the secret file: TriadInstanceDown for web1-web3, in one message', { timeout: DELIVERY_DEADLINE_MS + 30_000 }, async () => {
  const isInstanceDown = (m) => m.json?.alerts?.some((a) => a.labels?.alertname === 'TriadInstanceDown');
  const message = await sink.await(isInstanceDown, DELIVERY_DEADLINE_MS, () =>
    `no notification with TriadInstanceDown reached the webhook within ${DELIVERY_DEADLINE_MS / 1000} s `
    + `(received: ${JSON.stringify(sink.received.map((m) => [m.path, m.json?.groupLabels]))}); `
    + `is route.receiver a webhook with url_file /run/secrets/alert_webhook_url (observability/alertmanager.yml) `
    + `and the secret mounted on the alertmanager service (compose/compose.yaml)?\n${logsOf('alertmanager')}\n${logsOf('prometheus')}`);
  assert.equal(message.method, 'POST');
  assert.equal(message.path, webhookPath, 'the URL came from the secret file');
  assert.match(message.contentType ?? '', /^application\/json/);
  const p = message.json;
  assert.equal(p.status, 'firing');
  assert.deepEqual(p.groupLabels, { alertname: 'TriadInstanceDown', job: 'triad' });
  assert.deepEqual(p.alerts.map((a) => a.status), p.alerts.map(() => 'firing'));
  assert.deepEqual(p.alerts.map((a) => a.labels.instance).sort(), ['web1', 'web2', 'web3'],
    'the three instances that went down together come in one message (group_by, group_wait)');
  assert.match(p.alerts[0].annotations.summary, /does not answer on :8081\/metrics/);
});

// ---- make observe's secret file -----------------------------------------------------------

/** `make _observe-secrets` (what make observe runs first) on a compose/.env of this test's own. */
function renderSecrets(env, dir) {
  const envFile = path.join(dir, '.env');
  const passwords = ['DB', 'DB_OWNER', 'POSTGRES', 'REDIS', 'REPLICATION'].map((p) => `TRIAD_${p}_PASSWORD=${randomBytes(12).toString('hex')}`);
  writeFileSync(envFile, [...passwords, `TRIAD_SECRETS_DIR=${path.join(dir, 'secrets')}`, ...env, ''].join('\n'), { mode: 0o600 });
  const cleanEnv = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete cleanEnv[k];
  return spawnSync('make', ['-s', '--no-print-directory', '-C', ROOT, '_observe-secrets', `TRIAD_ENV=${envFile}`], { encoding: 'utf8', env: cleanEnv });
}

test('make observe refuses to start without TRIAD_ALERT_WEBHOOK_URL, naming the variable and the fix', () => {
  for (const [i, line] of [[], ['TRIAD_ALERT_WEBHOOK_URL='], ['TRIAD_ALERT_WEBHOOK_URL=hooks.example.com/x']].entries()) {
    const dir = path.join(tmp, `refuse-${i}`);
    mkdirSync(dir);
    const r = renderSecrets(line, dir);
    assert.notEqual(r.status, 0, `make _observe-secrets with ${JSON.stringify(line)} succeeded:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /TRIAD_ALERT_WEBHOOK_URL .*not set or not an http\(s\) URL.*make observe/);
    assert.equal(existsSync(path.join(dir, 'secrets', 'alert_webhook_url')), false);
  }
});

test('make observe writes TRIAD_ALERT_WEBHOOK_URL into the secret file (mode 444), and a new URL into the same file the container mounted', () => {
  const dir = path.join(tmp, 'render');
  mkdirSync(dir);
  const file = path.join(dir, 'secrets', 'alert_webhook_url');
  let r = renderSecrets(['TRIAD_ALERT_WEBHOOK_URL=https://hooks.example.com/a?token=1'], dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(file, 'utf8'), 'https://hooks.example.com/a?token=1');
  assert.equal(statSync(file).mode & 0o777, 0o444);
  const inode = statSync(file).ino;
  r = renderSecrets(['TRIAD_ALERT_WEBHOOK_URL=https://hooks.example.com/b'], dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(file, 'utf8'), 'https://hooks.example.com/b');
  assert.equal(statSync(file).ino, inode, 'rewritten in place: a running Alertmanager reads the new URL at its next notification');
});
