// 2. `docker compose stop web2` under steady load: no request fails and no item is created twice
// (the client never retries: Nginx's retries and the service's drain do the work); after
// `docker compose start web2` it serves within 3 s of being ready.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compose, duplicateNames, inspect, request, restoreInstances, startLoad, waitFor, waitReady } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

test('stopping web2 under load fails no request and duplicates no item; it serves within 3 s of being ready', async () => {
  const load = startLoad({ tag: 'e2e-stop', retryPosts: false });
  try {
    await load.progress(200);
    const before = { ...load.stats.byInstance };
    assert.ok(before.web2 > 0, `web2 served nothing before the stop: ${JSON.stringify(before)}`);

    const t0 = Date.now();
    await compose('stop', 'web2');
    console.log(`docker compose stop web2 took ${Date.now() - t0} ms`);
    assert.equal((await inspect('web2')).State.Running, false);
    const atStop = load.stats.byInstance.web2 ?? 0;
    await load.progress(200); // the load goes on with two instances
    assert.equal(load.stats.byInstance.web2 ?? 0, atStop, 'a stopped web2 still served requests');

    await compose('start', 'web2');
    const started = Date.now();
    // Within 3 s of being ready (issue 9, point 7), not of `docker compose start`: how long a
    // JVM takes to start depends on the machine, not on the edge.
    const ready = await waitReady('web2');
    await waitFor(
      'web2 serving through Nginx',
      async () => (await request('GET', '/api/instance', { timeoutMs: 5_000 })).headers.get('x-instance') === 'web2',
      { timeoutMs: 3_000, intervalMs: 20 },
    );
    console.log(`web2 ready ${ready - started} ms after docker compose start, served ${Date.now() - ready} ms after ready`);
    await load.progress(200);
  } finally {
    await load.stop();
  }
  const s = load.stats;
  console.log(`requests: ${s.gets} GETs, ${s.posts} POSTs, by instance ${JSON.stringify(s.byInstance)}`);
  assert.deepEqual(s.failedGets, [], 'failed GETs');
  assert.deepEqual(s.failedPosts, [], 'failed POSTs');
  const { count, duplicates } = await duplicateNames([...s.attempted]);
  assert.deepEqual(duplicates, [], 'items created more than once');
  for (const [name, item] of s.acknowledged) assert.equal(count.get(name), 1, `acknowledged item ${item.id} (${name}) is missing`);
});
