// 1. Round robin: 300 sequential GETs of /api/instance through Nginx reach each instance 100 ± 5 times.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { request, restoreInstances, INSTANCES } from './lib/stack.mjs';

before(restoreInstances);

test('300 sequential GETs of /api/instance are spread 100 ± 5 over web1, web2, web3', async () => {
  const counts = Object.fromEntries(INSTANCES.map((i) => [i, 0]));
  for (let n = 0; n < 300; n++) {
    const r = await request('GET', '/api/instance');
    assert.equal(r.status, 200, `request ${n} answered ${r.status}: ${r.text}`);
    const inst = r.headers.get('x-instance');
    assert.ok(inst in counts, `unexpected X-Instance ${inst}`);
    assert.equal(r.json.instance, inst, 'body and X-Instance name the same instance');
    counts[inst]++;
  }
  console.log('distribution:', JSON.stringify(counts));
  for (const i of INSTANCES) {
    assert.ok(Math.abs(counts[i] - 100) <= 5, `${i} served ${counts[i]} of 300: ${JSON.stringify(counts)}`);
  }
});
