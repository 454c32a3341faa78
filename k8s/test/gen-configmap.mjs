// Regenerates k8s/11-triad-initdb.yaml from db/init.sql (`make k8s-configmap`).
// The ConfigMap must hold db/init.sql byte for byte; consistency.test.mjs checks it.
import fs from 'node:fs';
import path from 'node:path';
import { renderInitdbConfigMap } from './lib/initdb.mjs';
import { INIT_SQL, INITDB_CONFIGMAP, REPO } from './lib/paths.mjs';

const sql = fs.readFileSync(INIT_SQL, 'utf8');
fs.writeFileSync(INITDB_CONFIGMAP, renderInitdbConfigMap(sql));
console.log(`wrote ${path.relative(REPO, INITDB_CONFIGMAP)} from ${path.relative(REPO, INIT_SQL)} (${Buffer.byteLength(sql)} bytes)`);
