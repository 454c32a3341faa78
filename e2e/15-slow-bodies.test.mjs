// 15. Slow request bodies (issue 22, point 1): 2,500 clients that each announce a 64 KiB POST
// and then send it one byte at a time must not take the edge from everyone else. While they
// are all open, ordinary reads and a keyed write are answered as usual within the contract's
// 2 s, Nginx drops no connection for want of a slot, and the slow bodies reach no instance; once
// they stop sending, Nginx lets go of every one of them. nginx/nginx.conf ("slow clients") says
// what bounds a slow body and why there is no total bound on reading one.
//
// All the connections go through the published port, so Docker's userland proxy carries them
// too: it holds 6 descriptors per connection (measured), 15,000 for these, within the
// 20,000-descriptor limit dockerd gives it here (README "Slow clients at the edge").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { BASE, allItems, containerId, request, restoreInstances, run, waitFor } from './lib/stack.mjs';

const SLOW = 2_500;
// One byte every 3 s: a live, if slow, client to Nginx (client_body_timeout is 10 s between
// two reads).
const TRICKLE_MS = 3_000;
// The contract's bound for an answer (docs/API.md: answered within 2 s).
const CONTRACT_MS = 2_000;
// Nginx closes a body that stopped arriving after client_body_timeout (10 s); the rest is slack
// for 2,500 closes on a small machine.
const BODY_TIMEOUT_MS = 10_000;

const sockets = [];
let trickle;

before(restoreInstances);
after(() => {
  clearInterval(trickle);
  for (const s of sockets) s.destroy();
});

/** Nginx's stub_status, read inside its container (port 8088 is not published). */
async function stubStatus() {
  const text = await run('docker', ['exec', await containerId('nginx'), 'wget', '-q', '-O', '-', 'http://127.0.0.1:8088/stub_status'], { timeoutMs: 10_000 });
  const [accepts, handled] = text.match(/\n\s*(\d+) (\d+) \d+/).slice(1).map(Number);
  return { accepts, handled, active: Number(text.match(/Active connections: (\d+)/)[1]) };
}

/**
 * Opens one connection that sends the header of a 64 KiB POST /api/items (with an
 * Idempotency-Key or without: Nginx routes the two apart) and the start of its JSON body;
 * resolves once both are written. The socket records when Nginx closed it and the
 * status line of any answer.
 */
function openSlowBody(name, keyed) {
  const { hostname, port } = new URL(BASE);
  const head =
    `POST /api/items HTTP/1.1\r\nHost: triad\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n` +
    `${keyed ? `Idempotency-Key: ${name}\r\n` : ''}\r\n{"name":"${name}","quantity":1,"description":"`;
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: hostname, port: Number(port) }, () =>
      s.write(head, () => {
        s.lastByteAt = performance.now();
        resolve(s);
      }),
    );
    s.sent = head.length;
    s.on('data', (d) => (s.answer ??= d.toString('latin1').split('\r\n')[0]));
    s.on('close', () => (s.closedAt = performance.now()));
    s.on('error', (e) => {
      s.failure = e.code ?? e.message;
      reject(e);
    });
    sockets.push(s);
  });
}

/** An ordinary request, answered 2xx within the contract's time; a failure names what it saw. */
async function ordinary(what, send) {
  let r;
  try {
    r = await send();
  } catch (e) {
    assert.fail(`${what} while ${SLOW} slow bodies were open: no answer within ${CONTRACT_MS} ms (${e.cause?.code ?? e.cause?.message ?? e.message})`);
  }
  assert.ok(r.status >= 200 && r.status < 300, `${what} while ${SLOW} slow bodies were open: ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

test(`${SLOW} slow request bodies leave ordinary requests served, and Nginx lets go of them`, async () => {
  const tag = `e2e-slow-${randomUUID()}`;
  const start = await stubStatus();

  // 250 at a time, so that the connects do not overflow a listen queue on the way.
  for (let i = 0; i < SLOW; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, SLOW - i) }, (_, j) => openSlowBody(`${tag}-${i + j}`, (i + j) % 2 === 0)));
  }
  trickle = setInterval(() => {
    for (const s of sockets) {
      if (s.closedAt === undefined && s.sent < 65_536 - 2) {
        s.write('x');
        s.sent++;
        s.lastByteAt = performance.now();
      }
    }
  }, TRICKLE_MS);
  await waitFor(`Nginx accepting the ${SLOW} slow connections`, async () => (await stubStatus()).accepts - start.accepts >= SLOW, { timeoutMs: 60_000, intervalMs: 500 });

  const items = await ordinary('GET /api/items', () => request('GET', '/api/items?limit=5', { timeoutMs: CONTRACT_MS }));
  assert.ok(Array.isArray(items.json.items));
  const instance = await ordinary('GET /api/instance', () => request('GET', '/api/instance', { timeoutMs: CONTRACT_MS }));
  assert.match(instance.json.instance, /^web[123]$/);
  const created = await ordinary('a POST with an Idempotency-Key', () =>
    request('POST', '/api/items', {
      body: { name: `${tag}-ordinary`, description: 'created by e2e/15 while slow bodies were open', quantity: 1 },
      headers: { 'idempotency-key': `${tag}-ordinary` },
      timeoutMs: CONTRACT_MS,
    }),
  );
  assert.equal(created.status, 201);

  // Served while Nginx held every slow body: none of them was refused, dropped or answered,
  // and Nginx dropped no connection (stub_status counts an accepted connection it had no slot
  // for as accepted but not handled).
  const held = sockets.filter((s) => s.closedAt === undefined && s.answer === undefined).length;
  const answered = sockets.filter((s) => s.answer !== undefined);
  assert.equal(
    held,
    SLOW,
    `Nginx held ${held} of the ${SLOW} slow bodies: it closed ${SLOW - held - answered.length} without an answer and answered ${answered.length} (${[...new Set(answered.map((s) => s.answer))].join(', ')})`,
  );
  const now = await stubStatus();
  assert.equal(now.handled - start.handled, now.accepts - start.accepts, `Nginx dropped ${now.accepts - start.accepts - (now.handled - start.handled)} connections it had no slot for`);

  // Once they stop sending, Nginx closes each slow body within client_body_timeout of its last
  // byte (no total bound on a body it reads: nginx.conf). The deadline counts from the last
  // byte of the trickle.
  clearInterval(trickle);
  const lastByte = Math.max(...sockets.map((s) => s.lastByteAt));
  await waitFor(
    `Nginx closing the ${SLOW} slow bodies once they stopped`,
    () => sockets.every((s) => s.closedAt !== undefined),
    { timeoutMs: lastByte + BODY_TIMEOUT_MS + 10_000 - performance.now(), intervalMs: 250 },
  );
  const latest = Math.max(...sockets.map((s) => s.closedAt)) - lastByte;
  console.log(`${SLOW} slow bodies held while 3 ordinary requests were served; all closed by Nginx ${Math.round(latest)} ms after the last byte (${[...new Set(sockets.map((s) => s.answer ?? 'no answer'))].join(', ')})`);

  // No slow body reached an instance: nothing of this run exists but the ordinary item.
  const mine = (await allItems()).filter((it) => it.name.startsWith(tag));
  assert.deepEqual(mine.map((it) => it.name), [`${tag}-ordinary`]);
});
