// Schema validation of Kubernetes objects, offline, against the API of one Kubernetes release.
//
// Two maintained, generated-from-the-OpenAPI-spec packages, each doing what the other cannot:
//  1. kubernetes-models (npm): ajv validators compiled from the Kubernetes OpenAPI schema.
//     Catches wrong types, missing required fields, bad enums and formats. Like the
//     OpenAPI schema itself it does NOT reject unknown fields.
//  2. @kubernetes/client-node (npm, the official JavaScript client, generated from the
//     OpenAPI spec of release-1.36): its models list every property of every type
//     (attributeTypeMap). strictFieldErrors() walks an object along them and rejects every
//     field the API does not define, as `kubectl apply` (server-side field validation
//     Strict, the default since 1.27) does.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { strictDtsErrors, resolveModule } from './strict-dts.mjs';
import { crdErrors, CRD_GROUPS } from './crd.mjs';

const require = createRequire(import.meta.url);
const clientNodeRoot = require.resolve('@kubernetes/client-node/package.json').replace(/package\.json$/, '');
const clientNode = require(clientNodeRoot + 'package.json');
// Only the generated models are loaded, not the client (no network code runs).
const models = await import(pathToFileURL(clientNodeRoot + 'dist/gen/models/ObjectSerializer.js').href);

/** The Kubernetes release whose OpenAPI spec the client-node models were generated from. */
export const KUBERNETES_API_RELEASE = (() => {
  const fs = require('node:fs');
  const header = fs.readFileSync(clientNodeRoot + 'dist/gen/models/V1PodSpec.js', 'utf8');
  const m = /OpenAPI spec version: release-(\d+\.\d+)/.exec(header);
  return m ? m[1] : 'unknown';
})();
export const VALIDATORS = {
  'kubernetes-models': require('kubernetes-models/package.json').version,
  '@kubernetes/client-node': clientNode.version,
  '@kubernetes-models/prometheus-operator': require('@kubernetes-models/prometheus-operator/package.json').version,
  // with the vendored CRDs of crds/ (lib/crd.mjs): CloudNativePG, Barman Cloud, the Gateway API
  ajv: require('ajv/package.json').version,
};

// Custom resources: API group -> the package with its CRD schemas (validators and .d.ts); the
// groups of the vendored CRDs (crds/) are validated against those instead.
const CRD_PACKAGES = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};
const crdModule = (group, version, kind) => CRD_PACKAGES[group] && `${CRD_PACKAGES[group]}/${group}/${version}/${kind}`;

function splitApiVersion(apiVersion) {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/**
 * kubernetes-models: JSON-schema (types, required, enums); the custom resources of a vendored
 * CRD (lib/crd.mjs, k8s/test/crds/): its own openAPIV3Schema, unknown fields rejected.
 * Returns a list of messages.
 */
export async function jsonSchemaErrors(obj) {
  if (!obj || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return ['apiVersion and kind must be strings'];
  }
  const { group, version } = splitApiVersion(obj.apiVersion);
  if (CRD_GROUPS.has(group)) return crdErrors(obj) ?? [`no schema for ${obj.apiVersion} ${obj.kind} in the vendored CRDs (k8s/test/crds/)`];
  const modulePath = crdModule(group, version, obj.kind) ?? (group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`);
  let mod;
  try {
    mod = await import(modulePath);
  } catch {
    return [`no schema for ${obj.apiVersion} ${obj.kind} in Kubernetes ${KUBERNETES_API_RELEASE}`];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function') return [`no model for ${obj.apiVersion} ${obj.kind}`];
  try {
    // a deep copy: the model constructor must not touch the caller's object
    new Model(structuredClone(obj)).validate();
    return [];
  } catch (e) {
    return String(e.message).split(', ').map((m) => `schema: ${m}`);
  }
}

/** client-node models: every field must be one the API defines at that place. */
export function strictFieldErrors(obj) {
  const { group, version } = splitApiVersion(obj.apiVersion ?? '');
  // A vendored CRD's schema rejects unknown fields itself; its metadata is the API's ObjectMeta.
  if (CRD_GROUPS.has(group)) {
    const errors = [];
    walk(obj.metadata, 'V1ObjectMeta', '/metadata', errors);
    return errors;
  }
  const crd = crdModule(group, version, obj.kind);
  if (crd) return strictDtsErrors(obj, resolveModule(crd, clientNodeRoot));
  const typeName = version.charAt(0).toUpperCase() + version.slice(1) + obj.kind;
  if (!models[typeName]?.attributeTypeMap) return [`no client-node model ${typeName} for ${obj.apiVersion} ${obj.kind}`];
  const errors = [];
  walk(obj, typeName, '', errors);
  return errors;
}

const MAP = /^\{ \[key: string\]: (.+); \}$/;
const ARRAY = /^Array<(.+)>$/;
const SCALARS = new Set(['string', 'number', 'boolean', 'Date', 'IntOrString']);

function walk(value, type, at, errors) {
  if (value === null || value === undefined) return;
  let m;
  if (type === 'any' || type === 'object') return;
  if (SCALARS.has(type)) {
    if (typeof value === 'object') errors.push(`${at || '/'}: expected a ${type}, found ${Array.isArray(value) ? 'an array' : 'an object'}`);
    return; // the exact scalar type is checked by jsonSchemaErrors
  }
  if ((m = ARRAY.exec(type))) {
    if (!Array.isArray(value)) { errors.push(`${at}: expected an array`); return; }
    value.forEach((v, i) => walk(v, m[1], `${at}/${i}`, errors));
    return;
  }
  if ((m = MAP.exec(type))) {
    if (typeof value !== 'object' || Array.isArray(value)) { errors.push(`${at}: expected a map`); return; }
    for (const [k, v] of Object.entries(value)) walk(v, m[1], `${at}/${k}`, errors);
    return;
  }
  const model = models[type];
  if (!model?.attributeTypeMap) { errors.push(`${at}: validator has no type ${type}`); return; }
  if (typeof value !== 'object' || Array.isArray(value)) { errors.push(`${at || '/'}: expected an object (${type})`); return; }
  const props = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!props.has(k)) errors.push(`${at}/${k}: unknown field "${k}" in ${type}`);
    else walk(v, props.get(k), `${at}/${k}`, errors);
  }
}

/** Both validators; an empty list means valid. */
export async function validateObject(obj) {
  const errors = await jsonSchemaErrors(obj);
  if (errors.length && errors[0].startsWith('no schema')) return errors;
  return [...errors, ...strictFieldErrors(obj)];
}
