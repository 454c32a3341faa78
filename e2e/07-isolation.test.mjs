// 7. Only Nginx publishes a port; PostgreSQL, Redis and the instances' ports are not reachable
// from the host; Nginx cannot reach the backend network; the instances run as non-root with a
// read-only root file system, no capabilities and no-new-privileges.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { compose, inspect, restoreInstances, run, containerId, INSTANCES } from './lib/stack.mjs';

before(restoreInstances);

const SERVICES = ['nginx', 'postgres', 'redis', ...INSTANCES];

function connects(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2_000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

test('only Nginx publishes a port, on the configured address', async () => {
  for (const svc of SERVICES) {
    const c = await inspect(svc);
    const bindings = Object.entries(c.HostConfig.PortBindings ?? {}).filter(([, b]) => b && b.length);
    if (svc === 'nginx') {
      assert.equal(bindings.length, 1, `nginx publishes ${JSON.stringify(bindings)}`);
      assert.equal(bindings[0][0], '80/tcp');
    } else {
      assert.deepEqual(bindings, [], `${svc} publishes ${JSON.stringify(bindings)}`);
    }
  }
});

test('5432, 6379, 8080 and 8081 are not reachable on 127.0.0.1', async () => {
  for (const port of [5432, 6379, 8080, 8081]) {
    assert.equal(await connects(port), false, `something answers on 127.0.0.1:${port}`);
  }
});

test('Nginx is on the edge network only and cannot reach PostgreSQL or Redis', async () => {
  const nginx = await inspect('nginx');
  assert.deepEqual(Object.keys(nginx.NetworkSettings.Networks), ['triad_edge']);
  for (const svc of ['postgres', 'redis']) {
    const c = await inspect(svc);
    assert.deepEqual(Object.keys(c.NetworkSettings.Networks), ['triad_backend'], `${svc} networks`);
  }
  const backend = JSON.parse(await run('docker', ['network', 'inspect', 'triad_backend']))[0];
  assert.equal(backend.Internal, true, 'the backend network is internal');
  for (const target of ['postgres:5432', 'redis:6379']) {
    // From the edge network the backend names do not even resolve ("bad address").
    await assert.rejects(
      run('docker', ['exec', await containerId('nginx'), 'wget', '-q', '-T', '2', '-O', '/dev/null', `http://${target}/`]),
      /bad address|could not resolve|timed out|unreachable|refused/i,
      `nginx reached ${target}`,
    );
  }
});

test('the instances run as non-root with a read-only root file system and no capabilities', async () => {
  for (const svc of INSTANCES) {
    const c = await inspect(svc);
    assert.equal(c.HostConfig.ReadonlyRootfs, true, `${svc} root file system is writable`);
    assert.ok(c.Config.User && !/^(0|root)(:|$)/.test(c.Config.User), `${svc} runs as ${c.Config.User || 'root'}`);
    assert.deepEqual(c.HostConfig.CapDrop, ['ALL'], `${svc} capabilities`);
    assert.ok((c.HostConfig.SecurityOpt ?? []).some((o) => o.startsWith('no-new-privileges')), `${svc} no-new-privileges`);
    assert.ok(c.HostConfig.Memory > 0, `${svc} has no memory limit`);
    const id = await containerId(svc);
    const uid = (await run('docker', ['exec', id, 'id', '-u'])).trim();
    assert.notEqual(uid, '0', `${svc} processes run as root`);
    await assert.rejects(run('docker', ['exec', id, 'touch', '/probe']), /Read-only file system/, `${svc} can write to /`);
    await run('docker', ['exec', id, 'sh', '-c', 'touch /tmp/probe && rm /tmp/probe']); // /tmp is the one writable place
  }
});

test('the passwords reach the containers as files, not in their configuration', async () => {
  for (const svc of SERVICES) {
    const c = await inspect(svc);
    const visible = JSON.stringify([c.Config.Env, c.Config.Cmd, c.Config.Entrypoint, c.Config.Healthcheck, c.Config.Labels]);
    assert.doesNotMatch(visible, /PASSWORD=(?!\/run\/secrets\/)/, `${svc} has a password in its configuration`);
  }
  const out = await compose('exec', '-T', 'redis', 'redis-cli', 'ping');
  assert.match(out, /NOAUTH/, 'Redis answers without a password');
});
