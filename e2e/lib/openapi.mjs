// Checks an HTTP answer against the OpenAPI description of the public port
// (src/main/resources/META-INF/openapi.yaml): the status is one the operation describes, every
// header the description requires is there and matches its schema, the media type is one it
// lists, and a JSON body matches its schema (ajv, JSON Schema 2020-12: OpenAPI 3.1's dialect).
// stack.mjs's request() calls it on every answer, so each e2e test checks the description
// with everything it does, and a mismatch fails the test that saw it.
//
// Paths the description does not name, and methods a path does not have, are checked against
// what the contract says of them: a problem+json 4xx (404 unknown route; 405 with Allow or 501
// for an unknown method) with X-Request-Id.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const DESCRIPTION = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..',
  'src', 'main', 'resources', 'META-INF', 'openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A validator for one description (a parsed OpenAPI document). */
export function responseValidator(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
  const compiled = new Map();
  const schema = (pointer) => {
    if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `openapi#${pointer}` }));
    return compiled.get(pointer);
  };
  const esc = (s) => s.replaceAll('~', '~0').replaceAll('/', '~1');
  const resolve = (obj, pointer) => {
    while (obj && obj.$ref) {
      pointer = obj.$ref.slice(1);
      obj = pointer.split('/').slice(1).reduce((o, k) => o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    }
    return [obj, pointer];
  };
  // Literal paths before templated ones, fewer parameters first: /api/items before /{folder}/{asset}.
  const templates = Object.keys(doc.paths).map((p) => ({
    path: p,
    params: (p.match(/\{/g) ?? []).length,
    re: new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$'),
  })).sort((a, b) => a.params - b.params);

  return function validate({ method, url, status, headers, text }) {
    const where = `${method} ${url} -> ${status}`;
    const problems = [];
    const header = (name) => (typeof headers.get === 'function' ? headers.get(name) : headers[name.toLowerCase()]) ?? null;
    const pathname = new URL(url, 'http://x').pathname;
    const type = (header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const match = templates.find((t) => t.re.test(pathname));
    const op = match && doc.paths[match.path][method.toLowerCase()];
    if (!op) {
      // Not a described operation: only the contract's refusals are right.
      const allowed = match ? [400, 404, 405, 413, 501] : [400, 404, 405, 413, 414, 501];
      if (!allowed.includes(status)) problems.push(`status ${status} for an operation the description does not have (expected one of ${allowed.join(', ')})`);
      if (method !== 'HEAD' && type !== 'application/problem+json') problems.push(`Content-Type '${type}', expected application/problem+json`);
      if (!header('x-request-id')) problems.push('header X-Request-Id missing');
      if (method !== 'HEAD' && type === 'application/problem+json') checkBody('/components/schemas/Problem', problems, text, schema);
      if (problems.length) throw new OpenApiMismatch(where, problems);
      return;
    }
    const opPointer = `/paths/${esc(match.path)}/${method.toLowerCase()}`;
    const key = op.responses[String(status)] ? String(status)
      : op.responses[`${String(status)[0]}XX`] ? `${String(status)[0]}XX` : op.responses.default ? 'default' : null;
    if (!key) throw new OpenApiMismatch(where, [`status ${status} is not described for ${method.toUpperCase()} ${match.path} (described: ${Object.keys(op.responses).join(', ')})`]);
    const [response, respPointer] = resolve(op.responses[key], `${opPointer}/responses/${esc(key)}`);
    for (const [name, h0] of Object.entries(response.headers ?? {})) {
      const [h, hPointer] = resolve(h0, `${respPointer}/headers/${esc(name)}`);
      const value = header(name);
      if (value === null) {
        if (h.required) problems.push(`header ${name} missing`);
        continue;
      }
      if (h.schema) {
        const check = schema(`${hPointer}/schema`);
        const typed = h.schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
        if (!check(typed)) problems.push(`header ${name}: '${value}' ${ajvText(check)}`);
      }
    }
    const content = response.content;
    if (!content) {
      if (text) problems.push(`a body (${text.length} bytes of '${type}') where the description has none`);
    } else if (method !== 'HEAD') {
      const media = Object.keys(content).find((m) => m.toLowerCase() === type);
      if (!media) problems.push(`Content-Type '${type}' is not one of ${Object.keys(content).join(', ')}`);
      else if (/json$/.test(media) && content[media].schema) checkBody(`${respPointer}/content/${esc(media)}/schema`, problems, text, schema);
    }
    if (problems.length) throw new OpenApiMismatch(where, problems);
  };
}

function checkBody(pointer, problems, text, schema) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`the body is not JSON: ${String(text).slice(0, 120)}`);
    return;
  }
  const check = schema(pointer);
  if (!check(body)) problems.push(`body ${ajvText(check)}: ${String(text).slice(0, 300)}`);
}

const ajvText = (check) => (check.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ');

export class OpenApiMismatch extends Error {
  constructor(where, problems) {
    super(`the answer does not match the OpenAPI description (src/main/resources/META-INF/openapi.yaml): ${where}: ${problems.join('; ')}`);
    this.name = 'OpenApiMismatch';
  }
}

let cached;
/** The validator of the repository's description, loaded once. */
export function validateAnswer(answer) {
  cached ??= responseValidator(YAML.parse(fs.readFileSync(DESCRIPTION, 'utf8')));
  return cached(answer);
}
