// 3. `docker compose kill -s KILL web1` under load: no GET fails; POSTs that fail are retried by
// the client with the same Idempotency-Key and body, and no item is created twice. Then web1
// is started again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compose, duplicateNames, inspect, request, restoreInstances, startLoad, waitFor, waitReady } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

test('killing web1 under load fails no GET; POSTs retried with their key create no duplicate', async () => {
  const load = startLoad({ tag: 'e2e-kill', retryPosts: true });
  try {
    await load.progress(200);
    assert.ok(load.stats.byInstance.web1 > 0, 'web1 served nothing before the kill');
    await compose('kill', '-s', 'KILL', 'web1');
    assert.equal((await inspect('web1')).State.Running, false, 'web1 still runs after SIGKILL');
    await load.progress(300);

    await compose('start', 'web1');
    const started = Date.now();
    // Within 3 s of being ready (issue 9, point 7), not of `docker compose start`: how long a
    // JVM takes to start depends on the machine, not on the edge.
    const ready = await waitReady('web1');
    await waitFor(
      'web1 serving through Nginx',
      async () => (await request('GET', '/api/instance', { timeoutMs: 5_000 })).headers.get('x-instance') === 'web1',
      { timeoutMs: 3_000, intervalMs: 20 },
    );
    console.log(`web1 ready ${ready - started} ms after docker compose start, served ${Date.now() - ready} ms after ready`);
    await load.progress(100);
  } finally {
    await load.stop();
  }
  const s = load.stats;
  console.log(
    `requests: ${s.gets} GETs, ${s.posts} POSTs (${s.retriedPosts} client retries), by instance ${JSON.stringify(s.byInstance)}`,
  );
  if (s.failedPosts.length) console.log('POST failures that the client retried:', JSON.stringify(s.failedPosts.slice(0, 10)));
  assert.deepEqual(s.failedGets, [], 'failed GETs');
  assert.equal(s.acknowledged.size, s.attempted.size, 'every POST was acknowledged in the end (client retries with the same key)');
  const { count, duplicates } = await duplicateNames([...s.attempted]);
  assert.deepEqual(duplicates, [], 'items created more than once');
  for (const [name, item] of s.acknowledged) {
    assert.equal(count.get(name), 1, `acknowledged item ${item.id} (${name}) is missing`);
  }
});
