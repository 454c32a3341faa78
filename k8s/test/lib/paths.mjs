// Where everything is, relative to this file: k8s/test/lib -> repo root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..', '..');
export const K8S = path.join(REPO, 'k8s');
// The contract, in the repository (nothing is read from outside it: see clone.test.mjs).
export const API_MD = path.join(REPO, 'docs', 'API.md');
export const POM = path.join(REPO, 'pom.xml');
export const NGINX_DIR = path.join(REPO, 'nginx');
// The manifests live in k8s/base/; the top-level k8s/*.yaml are symlinks to them.
export const BASE = path.join(K8S, 'base');
export const INITDB_CONFIGMAP = path.join(BASE, '11-triad-initdb.yaml');
export const OVERLAYS = path.join(K8S, 'overlays');
export const COMPONENTS = path.join(K8S, 'components');
// Generated from observability/rules/triad.yml (lib/prometheusrule.mjs).
export const PROMETHEUS_RULE = path.join(COMPONENTS, 'monitoring', 'prometheusrule.yaml');
// Where the service registers its metrics (the alert rules may name only those).
export const SRC_MAIN = path.join(REPO, 'src', 'main', 'java');
export const COMPOSE = path.join(REPO, 'compose', 'compose.yaml');
