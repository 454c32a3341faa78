// The SBOM checker of `make sbom-check` (lib/sbom.mjs) must refuse a BOM that misses or
// misstates what the image ships. The real target/bom.json is checked by `make sbom-check`
// after the build; here the checker itself, on a small BOM shaped like the plugin's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { POM } from './lib/paths.mjs';
import { pomVersions, sbomProblems } from './lib/sbom.mjs';

const pom = pomVersions(fs.readFileSync(POM, 'utf8'));
const comp = (group, name, version) => ({ type: 'library', 'bom-ref': `pkg:maven/${group}/${name}@${version}?type=jar`, group, name, version, purl: `pkg:maven/${group}/${name}@${version}?type=jar` });
const good = () => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: 'urn:uuid:61ce9a3e-1827-3f8f-82c1-e5487875a471',
  metadata: { component: { name: pom.project.name, version: pom.project.version } },
  components: [
    comp('io.helidon.webserver', 'helidon-webserver', pom.helidon),
    comp('org.postgresql', 'postgresql', pom.postgresql),
    comp('redis.clients', 'jedis', pom.jedis),
  ],
});
const libs = [`jedis-${pom.jedis}.jar`, `postgresql-${pom.postgresql}.jar`];

describe('SBOM checker', () => {
  test('pom.xml pins Helidon, pgjdbc and Jedis', () => {
    for (const k of ['helidon', 'postgresql', 'jedis']) assert.match(String(pom[k]), /^\d+\.\d+/, k);
  });
  test('a complete BOM passes', () => assert.deepEqual(sbomProblems(good(), pom, libs), []));
  const breakages = [
    ['not CycloneDX', (b) => { b.bomFormat = 'SPDX'; }],
    ['no Jedis', (b) => { b.components = b.components.filter((c) => c.name !== 'jedis'); }],
    ['pgjdbc at another version than pom.xml', (b) => { b.components[1] = comp('org.postgresql', 'postgresql', '42.0.0'); }],
    ['Helidon without a version', (b) => { delete b.components[0].version; }],
    ['a purl that disagrees with the version', (b) => { b.components[2].purl = 'pkg:maven/redis.clients/jedis@1.0.0?type=jar'; }],
    ['a shipped jar missing', (b) => { b.components.push(comp('com.zaxxer', 'HikariCP', '7.1.0')); b.components.pop(); }, ['HikariCP-7.1.0.jar']],
    ['a test dependency listed', (b) => { b.components.push(comp('org.testcontainers', 'testcontainers', '1.21.4')); }],
    ['another project', (b) => { b.metadata.component.version = '0.0.1'; }],
  ];
  for (const [what, mutate, extraLibs = []] of breakages) {
    test(`refuses: ${what}`, () => {
      const b = good();
      mutate(b);
      assert.ok(sbomProblems(b, pom, [...libs, ...extraLibs]).length > 0);
    });
  }
});
