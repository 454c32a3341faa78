// The three ways to deploy k8s/, each checked by every test: the plain directory and the two
// overlays, rendered as kubectl would send them.
import fs from 'node:fs';
import path from 'node:path';
import { loadApplied, renderKustomization } from './load.mjs';
import { OVERLAYS, BASE } from './paths.mjs';

// ha: 3+ pods with HPA and PDB; image: 'tag' (image.name:version) or 'digest';
// monitoring: the Prometheus Operator component is in; db: 'statefulset' (base's postgres) or
// 'cnpg' (components/cnpg: a CloudNativePG Cluster); redis: 'single' (base) or 'sentinel'
// (components/redis-sentinel).
export const VARIANTS = [
  { id: 'plain', name: 'kubectl apply -f k8s/', load: () => loadApplied().map((x) => x.obj), ha: true, image: 'tag', monitoring: false, db: 'statefulset', redis: 'single' },
  { id: 'dev', name: 'kubectl apply -k k8s/overlays/dev', load: () => renderKustomization(path.join(OVERLAYS, 'dev')), ha: false, image: 'tag', monitoring: false, db: 'statefulset', redis: 'single' },
  { id: 'prod', name: 'kubectl apply -k k8s/overlays/prod', load: () => renderKustomization(path.join(OVERLAYS, 'prod')), ha: true, image: 'digest', monitoring: true, db: 'cnpg', redis: 'sentinel' },
];

export const overlayNames = () => fs.readdirSync(OVERLAYS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
export const renderBase = () => renderKustomization(BASE);

const cache = new Map();
/** The objects of a variant, rendered once per test process. */
export function objectsOf(v) {
  if (!cache.has(v.id)) cache.set(v.id, v.load());
  return cache.get(v.id);
}
