// Loads the manifests and the facts the manifests must agree with.
import fs from 'node:fs';
import path from 'node:path';
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

/** What `kubectl apply -f k8s/` applies: the top level only (not recursive), in name order. */
export function appliedFiles(dir = K8S) {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Every YAML file under k8s/ except the test suite (examples included). */
export function allManifestFiles(dir = K8S) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'test' && e.name !== 'node_modules') out.push(...allManifestFiles(p)); }
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** [{file, obj}] of every object `kubectl apply -f k8s/` would send, in apply order. */
export function loadApplied(dir = K8S) {
  return appliedFiles(dir).flatMap((file) => parseYamlFile(file).map((obj) => ({ file, obj })));
}
