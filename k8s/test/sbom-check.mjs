// `make sbom-check`: the SBOM the build wrote (target/bom.json) lists what the image ships.
import fs from 'node:fs';
import path from 'node:path';
import { REPO, POM } from './lib/paths.mjs';
import { pomVersions, sbomProblems } from './lib/sbom.mjs';

const bomFile = path.join(REPO, 'target', 'bom.json');
const libsDir = path.join(REPO, 'target', 'libs');
if (!fs.existsSync(bomFile) || !fs.existsSync(libsDir)) {
  console.error(`${path.relative(REPO, bomFile)} or target/libs is missing: run the build first (./mvnw package, or make sbom).`);
  process.exit(1);
}
let bom;
try { bom = JSON.parse(fs.readFileSync(bomFile, 'utf8')); } catch (e) {
  console.error(`target/bom.json is not JSON (${e.message}): rebuild it with make sbom.`);
  process.exit(1);
}
const pom = pomVersions(fs.readFileSync(POM, 'utf8'));
const libs = fs.readdirSync(libsDir).filter((f) => f.endsWith('.jar'));
const problems = sbomProblems(bom, pom, libs);
if (problems.length) {
  for (const x of problems) console.error(`target/bom.json: ${x}`);
  process.exit(1);
}
const pick = (g, n) => bom.components.find((c) => c.group === g && c.name === n);
console.log(`target/bom.json: CycloneDX ${bom.specVersion}, ${bom.components.length} components, all ${libs.length} jars of target/libs; ` +
  ['io.helidon.webserver:helidon-webserver', 'org.postgresql:postgresql', 'redis.clients:jedis'].map((k) => `${k}@${pick(...k.split(':')).version}`).join(', '));
