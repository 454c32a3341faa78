// Regenerates k8s/11-triad-initdb.yaml from db/roles.sh (`make k8s-configmap`).
// The ConfigMap must hold them byte for byte; consistency.test.mjs checks it.
import fs from 'node:fs';
import path from 'node:path';
import { renderInitdbConfigMap, INITDB_FILES } from './lib/initdb.mjs';
import { INITDB_CONFIGMAP, REPO } from './lib/paths.mjs';

const files = Object.fromEntries(Object.entries(INITDB_FILES).map(([key, src]) => [key, fs.readFileSync(path.join(REPO, src), 'utf8')]));
fs.writeFileSync(INITDB_CONFIGMAP, renderInitdbConfigMap(files));
for (const [key, src] of Object.entries(INITDB_FILES)) {
  console.log(`wrote ${key} of ${path.relative(REPO, INITDB_CONFIGMAP)} from ${src} (${Buffer.byteLength(files[key])} bytes)`);
}
