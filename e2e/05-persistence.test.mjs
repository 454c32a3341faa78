// 5. Items created (and updated) through Nginx, then `make down && make up`: every acknowledged
// item is there again, unchanged. E2E_MAKE_ARGS adds arguments to both make calls (for example
// SKIP_IMAGE=1 to restart without rebuilding the image).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createItem, newKey, request, restoreInstances, run, waitAllServing, containerId } from './lib/stack.mjs';

const makeArgs = (process.env.E2E_MAKE_ARGS ?? '').split(/\s+/).filter(Boolean);

before(restoreInstances);
after(restoreInstances);

test('every acknowledged item survives make down && make up unchanged', { timeout: 600_000 }, async () => {
  const created = [];
  for (let n = 0; n < 20; n++) {
    const r = await createItem(`e2e-persist-${n}-${newKey().slice(4, 12)}`, newKey(), {
      description: `persistence check ${n}: ünïcødé ✓`,
      quantity: n * 1000,
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/api/items/${r.json.id}`);
    created.push(r.json);
  }
  // One update too: the stored version must survive, not only the first write.
  const first = created[0];
  const put = await request('PUT', `/api/items/${first.id}`, {
    body: { name: first.name, description: 'updated before the restart', quantity: 7 },
    headers: { 'if-match': `"${first.version}"` },
  });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.version, first.version + 1);
  created[0] = put.json;

  const postgresBefore = await containerId('postgres');
  await run('make', ['down', ...makeArgs], { timeoutMs: 180_000 });
  assert.equal(await containerId('postgres'), '', 'make down left the postgres container');
  await run('make', ['up', ...makeArgs], { timeoutMs: 480_000 });
  assert.notEqual(await containerId('postgres'), postgresBefore, 'postgres was not recreated');
  await waitAllServing();

  for (const item of created) {
    const r = await request('GET', `/api/items/${item.id}`);
    assert.equal(r.status, 200, `item ${item.id}: ${r.status} ${r.text}`);
    assert.deepEqual(r.json, item, `item ${item.id} changed across make down && make up`);
  }
  const list = await request('GET', `/api/items?limit=200&after=${created[0].id - 1}`);
  assert.equal(list.status, 200, list.text);
  const listed = new Map(list.json.items.map((i) => [i.id, i]));
  for (const item of created) assert.deepEqual(listed.get(item.id), item, `item ${item.id} in the list`);
});
