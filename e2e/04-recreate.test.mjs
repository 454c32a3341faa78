// 4. `docker compose up -d --force-recreate web3`: the new container (new address) gets traffic
// again within 10 s, and Nginx is not touched (same container, same start time: it follows
// Docker's DNS instead of being restarted or reloaded).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compose, inspect, request, restoreInstances, waitFor } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

test('a recreated web3 gets traffic within 10 s without touching Nginx', async () => {
  const nginxBefore = await inspect('nginx');
  const web3Before = await inspect('web3');

  await compose('up', '-d', '--force-recreate', 'web3');
  const recreated = Date.now();
  const web3After = await inspect('web3');
  assert.notEqual(web3After.Id, web3Before.Id, 'web3 was not recreated');

  await waitFor(
    'the recreated web3 serving through Nginx',
    async () => {
      const r = await request('GET', '/api/instance', { timeoutMs: 5_000 });
      // the body's hostname is the container's hostname: the answer comes from the new container
      return r.status === 200 && r.headers.get('x-instance') === 'web3' && r.json.hostname === web3After.Config.Hostname;
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  console.log(`web3 (new container) served ${Date.now() - recreated} ms after docker compose up returned`);

  const nginxAfter = await inspect('nginx');
  assert.equal(nginxAfter.Id, nginxBefore.Id, 'the Nginx container changed');
  assert.equal(nginxAfter.State.StartedAt, nginxBefore.State.StartedAt, 'Nginx was restarted');
  assert.equal(nginxAfter.RestartCount, nginxBefore.RestartCount, 'Nginx was restarted');
});
