// Slow request bodies against Nginx (README "Slow clients at the edge"): opens N connections
// that each send the header of a 64 KiB POST /api/items and FILL bytes of its body, then one
// more byte every EVERY ms; every 5 s and at the end it prints how many are open, answered (by
// status) and closed, and when the answers and closes came. Not a test: numbers for the README.
//   node bench/slow-bodies.mjs N [FILL=10] [EVERY=3000] [HOLD=30000] [PORT=9999] [HOST=127.0.0.1]
// Through the published port every connection also goes through Docker's userland proxy (6
// descriptors each); to measure Nginx alone, run it in Nginx's network namespace:
//   sudo nsenter -t "$(docker inspect -f '{{.State.Pid}}' triad-nginx-1)" -n node bench/slow-bodies.mjs 4300 10 3000 30000 80
import net from 'node:net';

const [n, fill = 10, every = 3000, hold = 30000, port = 9999] = process.argv.slice(2, 7).map(Number);
const host = process.argv[7] ?? '127.0.0.1';
if (!n) {
  console.error('usage: node bench/slow-bodies.mjs N [FILL] [EVERY_MS] [HOLD_MS] [PORT] [HOST]');
  process.exit(2);
}
const t0 = performance.now();
const sec = (t) => ((t - t0) / 1000).toFixed(1);
const sockets = [];
for (let i = 0; i < n; i++) {
  const s = net.connect({ host, port }, () =>
    s.write(`POST /api/items HTTP/1.1\r\nHost: triad\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n${'x'.repeat(fill)}`),
  );
  s.once('data', (d) => {
    s.status = d.toString('latin1').split(' ')[1];
    s.answeredAt = performance.now();
  });
  s.on('error', (e) => (s.error = e.code));
  s.on('close', () => (s.closedAt = performance.now()));
  sockets.push(s);
  if (i % 250 === 249) await new Promise((r) => setTimeout(r, 50));
}
const opened = performance.now();
const trickle = setInterval(() => sockets.forEach((s) => s.closedAt === undefined && s.write('x')), every);
function report(label) {
  const by = {};
  for (const s of sockets) if (s.status) by[s.status] = (by[s.status] ?? 0) + 1;
  const closed = sockets.filter((s) => s.closedAt !== undefined);
  const range = (xs) => (xs.length ? `${sec(Math.min(...xs))}-${sec(Math.max(...xs))} s` : '-');
  console.log(
    `${label} t=${sec(performance.now())} s: open ${n - closed.length}, answered ${JSON.stringify(by)} at ${range(sockets.filter((s) => s.answeredAt).map((s) => s.answeredAt))}, ` +
      `closed ${closed.length} at ${range(closed.map((s) => s.closedAt))} (all opened by ${sec(opened)} s)`,
  );
}
const tick = setInterval(() => report('  '), 5000);
setTimeout(() => {
  clearInterval(trickle);
  clearInterval(tick);
  report('end');
  sockets.forEach((s) => s.destroy());
}, hold);
