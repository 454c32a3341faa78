// Loads the manifests and the facts the manifests must agree with.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { K8S } from './paths.mjs';

/**
 * Parses every document of a YAML file; YAML errors and warnings are fatal. YAML 1.1, as
 * kubectl reads manifests (sigs.k8s.io/yaml): `0440` is octal, `yes` is a boolean.
 */
export function parseYamlFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  const docs = YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true, strict: true });
  const out = [];
  docs.forEach((d, i) => {
    const problems = [...d.errors, ...d.warnings];
    if (problems.length) throw new Error(`${file} document ${i + 1}: ${problems.map((p) => p.message).join('; ')}`);
    const obj = d.toJS();
    if (obj !== null && obj !== undefined) out.push(obj);
  });
  return out;
}

/** What `kubectl apply -f k8s/` applies: the top level only (not recursive), in name order; symlinks followed, as kubectl does. */
export function appliedFiles(dir = K8S) {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => /\.(ya?ml|json)$/.test(e.name) && fs.statSync(path.join(dir, e.name)).isFile())
    .map((e) => path.join(dir, e.name))
    .sort();
}

// Kustomize's own files (not objects): kustomizations, components.
const KUSTOMIZE_FILES = new Set(['kustomization.yaml', 'kustomization.yml']);

/** Every YAML object file under k8s/ except the test suite and kustomize's files (examples included), each once (symlinks resolved). */
export function allManifestFiles(dir = K8S, seen = new Set()) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'test' && e.name !== 'node_modules') out.push(...allManifestFiles(p, seen)); }
    else if (/\.ya?ml$/.test(e.name) && !KUSTOMIZE_FILES.has(e.name)) {
      const real = fs.realpathSync(p);
      if (!seen.has(real)) { seen.add(real); out.push(real); }
    }
  }
  return out.sort();
}

/** The objects `kubectl apply -k <dir>` would send: `kubectl kustomize <dir>`, parsed as the files are. */
export function renderKustomization(dir) {
  let text;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error('kubectl is missing: install kubectl 1.27 or newer (its built-in kustomize v5 renders the overlays), see k8s/README.md');
    throw new Error(`kubectl kustomize ${path.relative(path.dirname(K8S), dir)} failed: ${String(e.stderr).trim()}`);
  }
  const docs = YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true, strict: true });
  return docs.map((d) => d.toJS()).filter((o) => o !== null && o !== undefined);
}

/** [{file, obj}] of every object `kubectl apply -f k8s/` would send, in apply order. */
export function loadApplied(dir = K8S) {
  return appliedFiles(dir).flatMap((file) => parseYamlFile(file).map((obj) => ({ file, obj })));
}
