// Custom resources validated against their CRDs' own openAPIV3Schema, vendored under
// k8s/test/crds/ (crds/README.md: source repository, path, tag, commit and sha256 of each).
//
// The API server's rules for a structural schema, as ajv (JSON Schema) can state them:
//  - every object schema that is not x-kubernetes-preserve-unknown-fields admits only the
//    properties it lists (or additionalProperties when it is a map): what the API server
//    prunes, and `kubectl apply` (field validation Strict, the default) rejects as an
//    unknown field, ajv rejects (additionalProperties: false);
//  - types, required, enum, pattern, minimum/maximum, min/maxLength, min/maxItems, nullable,
//    x-kubernetes-int-or-string (integer or string) as the schema says;
//  - metadata is the API server's ObjectMeta, checked by the client-node model walk (the CRD
//    schema says only `type: object` there).
// Not evaluated: the CEL rules (x-kubernetes-validations; listed in crdRulesNotChecked so a
// reader sees what only a cluster checks), formats (int32/int64/date-time), and defaults.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import Ajv from 'ajv';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CRD_DIR = path.join(here, '..', 'crds');

/** Every CRD YAML under crds/: [{file, crd}]. */
export function vendoredCrdFiles(dir = CRD_DIR) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...vendoredCrdFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

export const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** apiVersion/kind -> {file, crd, version, schema}, for every served version of every vendored CRD. */
function index() {
  const byKey = new Map();
  for (const file of vendoredCrdFiles()) {
    for (const crd of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean)) {
      if (crd.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions ?? []) {
        if (!v.served) continue;
        byKey.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, { file, crd, version: v.name, schema: v.schema.openAPIV3Schema });
      }
    }
  }
  return byKey;
}
const CRDS = index();

/** The vendored CRD groups (schema.mjs sends their objects here). */
export const CRD_GROUPS = new Set([...CRDS.keys()].map((k) => k.split('/')[0]));

/** The CRD schema as a JSON Schema with the API server's strictness (see the file comment). */
export function structural(s, root = true) {
  if (Array.isArray(s)) return s.map((x) => structural(x, false));
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'description' || k === 'default' || k === 'format') continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, structural(ps, false)]));
    else if (k === 'items' || k === 'additionalProperties' || k === 'not') out[k] = typeof v === 'object' ? structural(v, false) : v;
    else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') out[k] = v.map((x) => structural(x, false));
    else out[k] = v;
  }
  if (s['x-kubernetes-int-or-string'] && !s.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.type === 'object' && !s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties === undefined) {
    out.additionalProperties = false;
    out.properties ??= {};
  }
  if (root) {
    // ObjectMeta: checked against the API's own model (schema.mjs), as the API server does.
    out.properties = { ...out.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map();

/** Errors of a custom resource against its vendored CRD; undefined if none is vendored for it. */
export function crdErrors(obj) {
  const i = String(obj.apiVersion ?? '').lastIndexOf('/');
  const key = `${obj.apiVersion?.slice(0, i)}/${obj.apiVersion?.slice(i + 1)}/${obj.kind}`;
  const entry = CRDS.get(key);
  if (!entry) return undefined;
  if (!compiled.has(key)) compiled.set(key, ajv.compile(structural(entry.schema)));
  const validate = compiled.get(key);
  if (validate(obj)) return [];
  return validate.errors.map((e) => {
    if (e.keyword === 'additionalProperties') return `${e.instancePath}/${e.params.additionalProperty}: unknown field "${e.params.additionalProperty}" (not in the ${entry.crd.metadata.name} ${entry.version} schema)`;
    return `crd schema: ${e.instancePath || '/'} ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''}`;
  });
}

/** Where the vendored CRD says its object: {file, name, version} (for messages and the README test). */
export function crdOf(apiVersion, kind) {
  const i = apiVersion.lastIndexOf('/');
  const e = CRDS.get(`${apiVersion.slice(0, i)}/${apiVersion.slice(i + 1)}/${kind}`);
  return e && { file: e.file, name: e.crd.metadata.name, version: e.version };
}

/** The CEL rules of the schema along the fields an object sets: what only the API server checks. */
export function crdRulesNotChecked(obj) {
  const e = CRDS.get(`${obj.apiVersion.slice(0, obj.apiVersion.lastIndexOf('/'))}/${obj.apiVersion.slice(obj.apiVersion.lastIndexOf('/') + 1)}/${obj.kind}`);
  const out = [];
  const walk = (s, v, at) => {
    if (!s || v === undefined) return;
    for (const r of s['x-kubernetes-validations'] ?? []) out.push(`${at || '/'}: ${r.rule}`);
    if (Array.isArray(v)) v.forEach((x, n) => walk(s.items, x, `${at}/${n}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined), x, `${at}/${k}`);
  };
  walk(e?.schema, obj, '');
  return out;
}
