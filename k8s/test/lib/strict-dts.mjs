// Unknown-field check for custom resources (the Prometheus Operator's). Their
// @kubernetes-models validators are compiled from the CRD schemas and, like the OpenAPI
// schema of built-in kinds, accept fields the API does not define; the API server
// (field validation Strict, kubectl's default) refuses them. The same packages ship a
// TypeScript declaration (.d.ts) per type listing every field: this walks an object along
// those declarations, as strictFieldErrors in schema.mjs does for built-in kinds.
import fs from 'node:fs';
import path from 'node:path';
const parsed = new Map(); // file -> {interfaces, aliases, imports, scalars}

/** The .d.ts a module specifier means from a file (node_modules looked up as Node does, ignoring "exports"). */
export function resolveModule(spec, fromFile) {
  const bare = spec.replace(/\.js$/, '');
  if (bare.startsWith('.')) return path.resolve(path.dirname(fromFile), bare) + '.d.ts';
  for (let dir = path.dirname(fromFile); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', bare);
    for (const f of [`${candidate}.d.ts`, path.join(candidate, 'index.d.ts')]) if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) throw new Error(`no declarations for ${spec} (from ${fromFile})`);
  }
}

/** A type expression's end: the `;` at nesting depth 0 from i. */
function typeEnd(body, i) {
  let depth = 0;
  for (let j = i; j < body.length; j++) {
    const ch = body[j];
    if ('{<(['.includes(ch)) depth++;
    else if ('}>)]'.includes(ch)) depth--;
    else if (ch === ';' && depth === 0) return j;
  }
  return body.length;
}

function parseFile(file) {
  if (parsed.has(file)) return parsed.get(file);
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const imports = new Map();
  for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)"/g)) {
    for (const name of m[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const [orig, local = orig] = name.split(/\s+as\s+/);
      imports.set(local, { file: m[2], name: orig });
    }
  }
  const aliases = new Map();
  for (const m of text.matchAll(/export type \{([^}]*)\}/g)) {
    for (const pair of m[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const [orig, alias = orig] = pair.split(/\s+as\s+/);
      aliases.set(alias, orig);
    }
  }
  const scalars = new Set([...text.matchAll(/export type (\w+)\s*=/g)].map((m) => m[1]));
  const interfaces = new Map();
  for (const m of text.matchAll(/export interface (\w+)\s*(?:extends ([^{]*))?\{/g)) {
    let depth = 1, i = m.index + m[0].length;
    const start = i;
    while (depth > 0 && i < text.length) { if (text[i] === '{') depth++; else if (text[i] === '}') depth--; i++; }
    const body = text.slice(start, i - 1);
    const props = new Map();
    const re = /\s*"([^"]+)"\??:\s*/y;
    let pos = 0;
    while (pos < body.length) {
      re.lastIndex = pos;
      const pm = re.exec(body);
      if (!pm) break;
      const end = typeEnd(body, re.lastIndex);
      props.set(pm[1], body.slice(re.lastIndex, end).replace(/\s+/g, ' ').trim());
      pos = end + 1;
    }
    const parents = (m[2] ?? '').split(',').map((x) => x.trim()).filter((x) => x && x !== 'TypeMeta');
    interfaces.set(m[1], { props, parents });
  }
  const r = { file, imports, aliases, scalars, interfaces };
  parsed.set(file, r);
  return r;
}

/** The fields of a named type as seen from a file, inherited ones included: {props: Map(field -> {type, file})} or {props: null} for a scalar alias. */
function resolveType(name, file) {
  const f = parseFile(file);
  const local = f.aliases.get(name) ?? name;
  if (f.interfaces.has(local)) {
    const { props, parents } = f.interfaces.get(local);
    const all = new Map();
    for (const parent of parents) {
      const p = resolveType(parent, file);
      if (!p?.props) throw new Error(`${file}: cannot resolve ${parent}, the parent of ${local}`);
      for (const [k, v] of p.props) all.set(k, v);
    }
    for (const [k, type] of props) all.set(k, { type, file });
    return { props: all };
  }
  if (f.scalars.has(local)) return { props: null };
  const imp = f.imports.get(name);
  if (imp) return resolveType(imp.name, resolveModule(imp.file, file));
  return undefined;
}

function walk(value, type, file, at, errors) {
  if (value === null || value === undefined) return;
  type = type.trim();
  let m;
  if (/^(string|number|boolean|any|unknown|object)$/.test(type) || /^["\d]/.test(type) || /\[".*"\]$/.test(type) || type.includes('|')) return;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m[1], file, `${at}/${i}`, errors));
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, m[1], file, `${at}/${k}`, errors);
    return;
  }
  const t = resolveType(type, file);
  if (t === undefined) { errors.push(`${at || '/'}: validator has no type ${type}`); return; }
  if (t.props === null || typeof value !== 'object' || Array.isArray(value)) return; // types are the schema validator's job
  for (const [k, v] of Object.entries(value)) {
    if (!t.props.has(k)) errors.push(`${at}/${k}: unknown field "${k}" in ${type.replace(/^I(IoK8s|Com)\w*?(Apis|Pkg)\w*?V\d\w*?(?=[A-Z][a-z])/, '')}`);
    else walk(v, t.props.get(k).type, t.props.get(k).file, `${at}/${k}`, errors);
  }
}

/** Unknown fields of a custom resource, given the .d.ts of its kind (e.g. …/v1/HTTPRoute.d.ts). */
export function strictDtsErrors(obj, dtsFile) {
  const errors = [];
  walk(obj, `I${obj.kind}`, dtsFile, '', errors);
  return errors;
}
