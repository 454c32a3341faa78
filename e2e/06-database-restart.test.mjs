// 6. PostgreSQL goes away and comes back: item calls answer 503 problem+json (with Retry-After)
// and never hang over 2 s; a write sent on a connection that then died answers 504 "outcome
// unknown" instead (never 503, which means not applied); everything recovers by itself, on every
// instance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { compose, createItem, INSTANCES, request, restoreInstances, waitFor } from './lib/stack.mjs';

const LIMIT_MS = 2_000;
let itemId;

before(async () => {
  await compose('start', 'postgres');
  await restoreInstances();
  const r = await createItem('e2e-db-outage');
  assert.equal(r.status, 201, r.text);
  itemId = r.json.id;
});
after(async () => {
  await compose('start', 'postgres');
  await restoreInstances();
});

/** Item calls in a loop until stop(); every answer is checked as it comes. */
function probe() {
  const seen = { ok: 0, unavailable: 0, unknown: 0, bad: [], slow: [] };
  let stopping = false;
  const calls = [
    () => request('GET', '/api/items?limit=3', { timeoutMs: 10_000 }),
    () => request('GET', `/api/items/${itemId}`, { timeoutMs: 10_000 }),
    () => createItem('e2e-db-outage-probe', undefined, {}),
  ];
  const loop = (async () => {
    for (let n = 0; !stopping && n < 5_000; n++) {
      let r;
      try {
        r = await calls[n % calls.length]();
      } catch (e) {
        seen.bad.push(`request failed: ${e.cause?.code ?? e.message}`);
        continue;
      }
      if (r.ms > LIMIT_MS) seen.slow.push(`${r.status} after ${Math.round(r.ms)} ms`);
      if (r.status === 200 || r.status === 201) seen.ok++;
      else if (r.status === 503) {
        seen.unavailable++;
        const type = r.headers.get('content-type') ?? '';
        if (!type.startsWith('application/problem+json') || r.json?.status !== 503 || r.json?.type !== 'about:blank' || !r.json?.title)
          seen.bad.push(`503 that is not problem+json: ${type} ${r.text.slice(0, 200)}`);
        if (!r.headers.get('retry-after')) seen.bad.push('503 without Retry-After');
      } else if (r.status === 504 && n % calls.length === 2) {
        seen.unknown++;
        const type = r.headers.get('content-type') ?? '';
        if (!type.startsWith('application/problem+json') || r.json?.status !== 504 || !String(r.json?.detail).startsWith('outcome unknown'))
          seen.bad.push(`504 that is not the service's "outcome unknown": ${type} ${r.text.slice(0, 200)}`);
      } else seen.bad.push(`${r.status} ${r.text.slice(0, 200)}`);
    }
  })();
  return {
    seen,
    stop: async () => {
      stopping = true;
      await loop;
      return seen;
    },
  };
}

async function recovered() {
  // Each instance answers item calls again: list pages until all three have answered 200.
  const ok = new Set();
  await waitFor(
    'every instance answering item calls again',
    async () => {
      const r = await request('GET', '/api/items?limit=1', { timeoutMs: 5_000 });
      if (r.status === 200) ok.add(r.headers.get('x-instance'));
      return INSTANCES.every((i) => ok.has(i));
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  const r = await createItem('e2e-db-recovered');
  assert.equal(r.status, 201, r.text);
}

test('docker compose restart postgres: answers stay 2xx or 503 problem+json within 2 s, then recover', async () => {
  const p = probe();
  await compose('restart', 'postgres');
  await waitFor('postgres healthy', async () => (await compose('ps', '--format', '{{.Health}}', 'postgres')).includes('healthy'), {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  await recovered();
  const seen = await p.stop();
  console.log(`during the restart: ${seen.ok} answered, ${seen.unavailable} answered 503, ${seen.unknown} writes 504`);
  assert.deepEqual(seen.bad, []);
  assert.deepEqual(seen.slow, [], `answers slower than ${LIMIT_MS} ms`);
});

test('PostgreSQL down for a while: item calls answer 503 problem+json within 2 s; recovery by itself', async () => {
  await compose('stop', 'postgres');
  const p = probe();
  try {
    await waitFor('ten 503 answers', () => p.seen.unavailable >= 10, { timeoutMs: 60_000, intervalMs: 50 });
    const inst = await request('GET', '/api/instance');
    assert.equal(inst.status, 200, '/api/instance needs no database');
  } finally {
    await compose('start', 'postgres');
  }
  await recovered();
  const seen = await p.stop();
  console.log(`during the outage: ${seen.ok} answered, ${seen.unavailable} answered 503, ${seen.unknown} writes 504`);
  assert.deepEqual(seen.bad, []);
  assert.deepEqual(seen.slow, [], `answers slower than ${LIMIT_MS} ms`);
});
