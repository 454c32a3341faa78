// 4. `docker compose up -d --force-recreate web3`: the new container gets traffic within 3 s of
// being ready, and Nginx is not touched (same container, same start time: not restarted or
// reloaded; the new container holds an address Nginx already has, nginx/conf.d/10-upstream.conf).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compose, inspect, request, restoreInstances, waitFor, waitReady } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

test('a recreated web3 gets traffic within 3 s of being ready without touching Nginx', async () => {
  const nginxBefore = await inspect('nginx');
  const web3Before = await inspect('web3');

  await compose('up', '-d', '--force-recreate', 'web3');
  const recreated = Date.now();
  const web3After = await inspect('web3');
  assert.notEqual(web3After.Id, web3Before.Id, 'web3 was not recreated');

  const ready = await waitReady('web3');
  await waitFor(
    'the recreated web3 serving through Nginx',
    async () => {
      const r = await request('GET', '/api/instance', { timeoutMs: 5_000 });
      // the body's hostname is the container's hostname: the answer comes from the new container
      return r.status === 200 && r.headers.get('x-instance') === 'web3' && r.json.hostname === web3After.Config.Hostname;
    },
    { timeoutMs: 3_000, intervalMs: 20 },
  );
  console.log(`web3 (new container) ready ${ready - recreated} ms after docker compose up returned, served ${Date.now() - ready} ms after ready`);

  const nginxAfter = await inspect('nginx');
  assert.equal(nginxAfter.Id, nginxBefore.Id, 'the Nginx container changed');
  assert.equal(nginxAfter.State.StartedAt, nginxBefore.State.StartedAt, 'Nginx was restarted');
  assert.equal(nginxAfter.RestartCount, nginxBefore.RestartCount, 'Nginx was restarted');
});
