// Nginx at the edge: its own errors are problem+json, request ids and forwarding headers pass,
// the admin port is never proxied, stub_status is only on the edge network, and the retry
// policy gives `non_idempotent` only to POSTs that carry an Idempotency-Key.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, containerId, request, restoreInstances, run } from './lib/stack.mjs';

before(restoreInstances);

test('a body over 64 KiB gets 413 problem+json from Nginx', async () => {
  const res = await fetch(`${BASE}/api/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'big', description: 'x'.repeat(70 * 1024) }),
  });
  assert.equal(res.status, 413);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ['detail', 'status', 'title', 'type']);
  assert.equal(body.type, 'about:blank');
  assert.equal(body.status, 413);
});

test('Server header has no version; request ids pass through or are generated', async () => {
  const sane = await request('GET', '/api/instance', { headers: { 'x-request-id': 'e2e.req-42_ok' } });
  assert.equal(sane.headers.get('server'), 'nginx');
  assert.equal(sane.headers.get('x-request-id'), 'e2e.req-42_ok');
  const none = await request('GET', '/api/instance');
  assert.match(none.headers.get('x-request-id'), /^[0-9a-f]{32}$/, 'Nginx generates $request_id');
  const bad = await request('GET', '/api/instance', { headers: { 'x-request-id': 'not a "sane" id' } });
  assert.match(bad.headers.get('x-request-id'), /^[0-9a-f]{32}$/, 'an insane id is replaced');
});

test('the admin port is not proxied: /health and /metrics are not served on the public port', async () => {
  for (const p of ['/health', '/health/ready', '/metrics']) {
    const r = await request('GET', p);
    assert.equal(r.status, 404, `${p} answered ${r.status}`);
  }
});

test('stub_status answers inside the edge network only', async () => {
  const out = await run('docker', ['exec', await containerId('web1'), 'curl', '-fsS', '-m', '3', 'http://nginx:8088/stub_status']);
  assert.match(out, /Active connections: \d+/);
});

test('the effective Nginx configuration retries POSTs on another instance only with an Idempotency-Key', async () => {
  const conf = await run('docker', ['exec', await containerId('nginx'), 'nginx', '-T', '-c', '/etc/nginx/triad/nginx.conf']);
  const directives = conf
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.startsWith('proxy_next_upstream '));
  assert.equal(directives.filter((d) => d.includes('non_idempotent')).length, 1, directives.join('\n'));
  assert.ok(directives.some((d) => !d.includes('non_idempotent')));
  const named = conf.slice(conf.indexOf('location @idempotent'));
  assert.match(named.slice(0, named.indexOf('}')), /proxy_next_upstream [^;]*non_idempotent;/);
  assert.match(conf, /map "\$request_method:\$http_idempotency_key" \$triad_idempotent_retry/);
  assert.match(conf, /"~\^POST:\."\s+1;/);
  for (const d of ['proxy_connect_timeout 1s;', 'proxy_send_timeout 10s;', 'proxy_read_timeout 10s;', 'client_max_body_size 64k;', 'proxy_next_upstream_tries 3;', 'server_tokens off;']) {
    assert.ok(conf.includes(d), `missing ${d}`);
  }
  // One failed connect sets an instance aside: a stopped container's address hangs, and a
  // retry that spans a re-resolution would end in 502 (docs/PERFORMANCE.md).
  for (const w of ['web1', 'web2', 'web3']) assert.match(conf, new RegExp(`server ${w}:8080 resolve max_fails=1 `));
  assert.match(conf, /resolver 127\.0\.0\.11 valid=/);
});
