import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * GitHub's published OpenAPI description (api.github.com, from @octokit/openapi) as a request
 * checker: find the operation of a method + path, validate path parameters, the query and the JSON
 * body against the operation's schemas (ajv; OpenAPI's `nullable` is understood by ajv).
 */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Operation {
  operationId: string;
  template: string;
  method: string;
  params: Record<string, string>;
}

export interface CheckResult {
  op?: Operation;
  status?: number;
  error?: string;
}

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  literals: number;
  methods: Record<string, Json>;
}

let loaded: { doc: Json; routes: Route[]; ajv: Ajv } | null = null;

function load(): { doc: Json; routes: Route[]; ajv: Ajv } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@octokit/openapi/package.json'));
  const doc = JSON.parse(readFileSync(join(pkg, 'generated', 'api.github.com.json'), 'utf8'));
  const routes: Route[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    const names: string[] = [];
    let literals = 0;
    const pattern = template
      .split('/')
      .map((seg) => {
        const m = /^\{(.+)\}$/.exec(seg);
        if (!m) {
          literals++;
          return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }
        names.push(m[1]);
        const multi = Object.values<Json>(item).some((op) => op?.parameters?.some?.((p: Json) => p.name === m[1] && p['x-multi-segment']));
        return multi ? '(.+)' : '([^/]+)';
      })
      .join('/');
    const methods: Record<string, Json> = {};
    for (const m of ['get', 'post', 'patch', 'put', 'delete']) if (item[m]) methods[m.toUpperCase()] = item[m];
    routes.push({ template, regex: new RegExp(`^${pattern}$`), names, literals, methods });
  }
  routes.sort((a, b) => b.literals - a.literals);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'gh', components: openApiToJsonSchema(doc.components) });
  loaded = { doc, routes, ajv };
  return loaded;
}

/**
 * OpenAPI 3.0's `nullable: true` next to a `type` is understood by ajv; without one (beside
 * `anyOf`, `allOf`, a `$ref`) it is not: rewrite those to `anyOf: [schema, { type: 'null' }]`.
 */
function openApiToJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = openApiToJsonSchema(v);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const compiled = new Map<string, ValidateFunction>();

function validator(key: string, schema: Json): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    const { ajv } = load();
    const rewritten = openApiToJsonSchema(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"gh#/components/')));
    v = ajv.compile(rewritten);
    compiled.set(key, v);
  }
  return v;
}

function resolveParam(doc: Json, p: Json): Json {
  if (p.$ref)
    return p.$ref
      .split('/')
      .slice(1)
      .reduce((o: Json, k: string) => o[k], doc);
  return p;
}

function coerce(value: string, schema: Json): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/** Check one request against the description. A result without `op` carries a status and a message. */
export function checkRequest(method: string, path: string, query: URLSearchParams, body: unknown, hasBody: boolean): CheckResult {
  const { doc, routes, ajv } = load();
  const candidates = routes.filter((r) => r.regex.test(path));
  if (!candidates.length) return { status: 404, error: `no GitHub REST operation has the path ${path}` };
  const route = candidates.find((r) => r.methods[method]);
  if (!route) return { status: 404, error: `no GitHub REST operation ${method} ${candidates[0].template}` };
  const op = route.methods[method];
  const m = route.regex.exec(path)!;
  const params: Record<string, string> = {};
  route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
  const errors: string[] = [];
  for (const raw of op.parameters ?? []) {
    const p = resolveParam(doc, raw);
    const value = p.in === 'path' ? params[p.name] : p.in === 'query' ? (query.get(p.name) ?? undefined) : undefined;
    if (p.in !== 'path' && p.in !== 'query') continue;
    if (value === undefined) {
      if (p.required) errors.push(`missing ${p.in} parameter ${p.name}`);
      continue;
    }
    const v = validator(`${op.operationId}:param:${p.name}`, p.schema ?? {});
    if (!v(coerce(value, p.schema))) errors.push(`${p.in} parameter ${p.name}=${value}: ${ajv.errorsText(v.errors)}`);
  }
  if (query) {
    const known = new Set(
      (op.parameters ?? [])
        .map((raw: Json) => resolveParam(doc, raw))
        .filter((p: Json) => p.in === 'query')
        .map((p: Json) => p.name),
    );
    for (const k of query.keys()) if (!known.has(k)) errors.push(`unknown query parameter ${k}`);
  }
  const schema = op.requestBody?.content?.['application/json']?.schema;
  if (op.requestBody?.required && !hasBody) errors.push('a JSON body is required');
  if (schema && hasBody) {
    const v = validator(`${op.operationId}:body`, schema);
    if (!v(body)) errors.push(`body: ${ajv.errorsText(v.errors, { dataVar: 'body' })}`);
  }
  const found: Operation = { operationId: op.operationId, template: route.template, method, params };
  if (errors.length) return { op: found, status: 422, error: `${op.operationId}: ${errors.join('; ')}` };
  return { op: found };
}
