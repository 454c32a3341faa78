// 9. The image Jib built: the name and version from pom.xml, a numeric non-root user, both
// ports exposed, OCI labels (version, revision, source), reproducible timestamps, container-aware
// JVM flags — and the running instances use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, inspect, run, INSTANCES } from './lib/stack.mjs';

const pom = readFileSync(path.join(ROOT, 'pom.xml'), 'utf8');
const name = pom.match(/<image\.name>([^<]+)<\/image\.name>/)[1];
// The project's own version: the first <version> after the parent block.
const version = pom.replace(/<parent>[\s\S]*?<\/parent>/, '').match(/<version>([^<]+)<\/version>/)[1];

test('the image carries its version, a revision, the source and reproducible timestamps', async () => {
  const [image] = JSON.parse(await run('docker', ['image', 'inspect', `${name}:${version}`]));
  const config = image.Config;
  assert.match(config.User, /^[1-9][0-9]*:[1-9][0-9]*$/, 'numeric, non-root user');
  assert.deepEqual(Object.keys(config.ExposedPorts).sort(), ['8080/tcp', '8081/tcp']);
  assert.equal(config.Labels['org.opencontainers.image.version'], version);
  assert.match(config.Labels['org.opencontainers.image.revision'], /^[0-9a-f]{40}$/);
  assert.match(config.Labels['org.opencontainers.image.source'], /^https:\/\//);
  assert.equal(image.Created, '1970-01-01T00:00:00Z', 'Jib reproducible creation time');
  const flags = config.Entrypoint.join(' ');
  assert.match(flags, /-XX:MaxRAMPercentage=/, 'heap sized from the container limit');
  const [latest] = JSON.parse(await run('docker', ['image', 'inspect', `${name}:latest`]));
  assert.equal(latest.Id, image.Id, 'latest tags the same image');
});

test('every instance runs that image', async () => {
  for (const svc of INSTANCES) {
    const c = await inspect(svc);
    assert.ok([`${name}:${version}`, `${name}:latest`].includes(c.Config.Image), `${svc} runs ${c.Config.Image}`);
  }
});
