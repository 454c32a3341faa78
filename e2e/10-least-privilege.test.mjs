// 10. Bounded resources and least privilege (issue 9, point 6): Redis evicts before it outgrows
// its container, and only keys with a TTL, so the request count and the heartbeat index stay;
// the service connects to PostgreSQL as a role that is no superuser and owns nothing; nginx,
// postgres and redis run with the minimum capabilities, no-new-privileges, a pids limit and a
// read-only root file system.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { compose, inspect, request, createItem, restoreInstances, PROJECT } from './lib/stack.mjs';

before(restoreInstances);

const redis = async (...args) => (await compose('exec', '-T', 'redis', 'sh', '-c',
  'REDISCLI_AUTH="$(cat /run/secrets/redis_admin_password)" exec redis-cli --user triad-admin "$@"', 'redis-cli', ...args)).trim();
const redisConfig = async (name) => (await redis('config', 'get', name)).split('\n')[1];
const psql = async (sql) => (await compose('exec', '-T', 'postgres', 'sh', '-c',
  'exec psql -X -q -t -A -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"', 'psql', sql)).trim();

test('Redis: maxmemory below the container limit, and a policy that evicts only keys with a TTL', async () => {
  const limit = (await inspect('redis')).HostConfig.Memory;
  const maxmemory = Number(await redisConfig('maxmemory'));
  assert.ok(maxmemory > 0 && maxmemory < limit, `maxmemory ${maxmemory} with a container limit of ${limit}`);
  assert.match(await redisConfig('maxmemory-policy'), /^volatile-(lru|lfu)$/);
});

test('Redis: item copies and heartbeats have a TTL, the request count and the heartbeat index none', async () => {
  const created = await createItem(`e2e-ttl-${Date.now()}`);
  assert.equal(created.status, 201, created.text);
  await request('GET', `/api/items/${created.json.id}`);
  assert.ok(Number(await redis('pttl', `triad:item:${created.json.id}`)) > 0, 'the cached item has a TTL');
  for (const instance of ['web1', 'web2', 'web3']) {
    assert.ok(Number(await redis('pttl', `triad:instance:${instance}`)) > 0, `triad:instance:${instance} has a TTL`);
  }
  assert.equal(await redis('ttl', 'triad:requests:total'), '-1');
  assert.equal(await redis('ttl', 'triad:heartbeats'), '-1');
});

test('Redis full: keys with a TTL are evicted, no write is refused, the request count survives', async () => {
  // Lower the bound just above what is in use, instead of writing hundreds of megabytes.
  const maxmemory = await redisConfig('maxmemory');
  const used = Number(/used_memory:(\d+)/.exec(await redis('info', 'memory'))[1]);
  const evictedBefore = Number(/evicted_keys:(\d+)/.exec(await redis('info', 'stats'))[1]);
  const totalBefore = Number(await redis('get', 'triad:requests:total'));
  try {
    await redis('config', 'set', 'maxmemory', String(used + 4 * 1024 * 1024));
    // 12 MiB of item-like keys with a TTL, in one pipeline-free Lua call per MiB.
    for (let i = 0; i < 12; i++) {
      await redis('eval', "for n = 1, 1024 do redis.call('set', KEYS[1] .. n, string.rep('x', 1024), 'ex', 300) end return 1",
        '1', `triad:item:e2e-fill-${i}-`);
    }
    const evicted = Number(/evicted_keys:(\d+)/.exec(await redis('info', 'stats'))[1]) - evictedBefore;
    assert.ok(evicted > 0, 'nothing was evicted');
    assert.ok(Number(await redis('get', 'triad:requests:total')) >= totalBefore, 'the request count was evicted');
    assert.ok(Number(await redis('zcard', 'triad:heartbeats')) >= 3, 'the heartbeat index was evicted');
    const r = await request('GET', '/api/instance');
    assert.equal(r.status, 200, r.text);
  } finally {
    await redis('config', 'set', 'maxmemory', maxmemory);
    await redis('eval', "for _, k in ipairs(redis.call('keys', ARGV[1])) do redis.call('unlink', k) end return 1", '0', 'triad:item:e2e-fill-*');
  }
});

test('PostgreSQL: the service is connected as triad, which is no superuser and owns no table', async () => {
  assert.equal(await psql("SELECT rolsuper || ' ' || rolcreaterole || ' ' || rolcreatedb FROM pg_roles WHERE rolname = 'triad'"), 'false false false');
  assert.equal(await psql("SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE application_name LIKE 'triad-%'"), 'triad');
  assert.equal(await psql("SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'"), 'triad_owner');
});

test('PostgreSQL: the owner and superuser passwords reach the postgres container only', async () => {
  for (const svc of ['web1', 'web2', 'web3', 'nginx', 'redis']) {
    const secrets = (await inspect(svc)).Mounts.map((m) => m.Destination).filter((d) => d.startsWith('/run/secrets/'));
    for (const s of ['/run/secrets/db_owner_password', '/run/secrets/postgres_password']) assert.ok(!secrets.includes(s), `${svc} mounts ${s}`);
  }
});

test('nginx, postgres and redis: minimum capabilities, no-new-privileges, pids limit, read-only root', async () => {
  const allowed = { nginx: ['CHOWN', 'SETGID', 'SETUID'], postgres: [], redis: [] };
  for (const [svc, caps] of Object.entries(allowed)) {
    const h = (await inspect(svc)).HostConfig;
    assert.deepEqual(h.CapDrop, ['ALL'], `${svc} CapDrop`);
    assert.ok((h.CapAdd ?? []).every((c) => caps.includes(c.replace(/^CAP_/, ''))), `${svc} adds ${h.CapAdd}`);
    assert.ok(h.SecurityOpt?.includes('no-new-privileges:true'), `${svc} SecurityOpt ${h.SecurityOpt}`);
    assert.ok(h.PidsLimit > 0, `${svc} has no pids limit`);
    assert.equal(h.ReadonlyRootfs, true, `${svc} root file system is writable`);
  }
});

// Issue 22, point 6: every Redis client logs in as its own ACL user (compose/redis.sh). redis-cli
// runs inside the redis container, as `user`, with the password of its secret file.
const redisAs = async (user, secret, ...args) => (await compose('exec', '-T', 'redis', 'sh', '-c',
  `REDISCLI_AUTH="$(cat /run/secrets/${secret})" exec redis-cli --no-auth-warning --user ${user} "$@"`, 'redis-cli', ...args)).trim();

test('Redis: the service\'s user reaches its own keys only, and no administrative command', async () => {
  const service = (...args) => redisAs('triad', 'redis_password', ...args);
  assert.match(await service('get', 'triad:requests:total'), /^\d+$/);
  assert.match(await service('set', 'e2e:outside', '1'), /^NOPERM/);
  assert.match(await service('flushall'), /^NOPERM/);
  assert.match(await service('config', 'set', 'maxmemory', '1'), /^NOPERM/);
  assert.match(await service('keys', '*'), /^NOPERM/);
  assert.match(await service('debug', 'sleep', '0'), /DEBUG command not allowed|^NOPERM/);
});

test('Redis: the exporter\'s user reads statistics and writes nothing', async () => {
  const monitor = (...args) => redisAs('triad-monitor', 'redis_monitor_password', ...args);
  assert.match(await monitor('info', 'server'), /redis_version:/);
  assert.match(await monitor('set', 'triad:requests:total', '0'), /^NOPERM/);
  assert.match(await monitor('get', 'triad:requests:total'), /^NOPERM/);
});

test('Redis: the default user logs in nobody, not even with the service\'s password', async () => {
  const out = await compose('exec', '-T', 'redis', 'sh', '-c',
    'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" exec redis-cli --no-auth-warning ping');
  assert.match(out, /WRONGPASS|NOAUTH/);
});

test('Redis: DEBUG is refused on the default stack, even to the operator inside the container', async () => {
  assert.match(await redis('debug', 'sleep', '0'), /DEBUG command not allowed/);
  assert.equal(await redisConfig('enable-debug-command'), 'no');
});
