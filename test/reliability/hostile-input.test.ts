import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import {
  fillPath,
  openApiOperations,
  plausible,
  resolve,
  signIn,
  surfaceOf,
  type Caller,
  type JsonSchema,
  type OpenApiOperation,
} from './surfaces';

/**
 * Hostile input (R4), generated from /openapi.json: every operation of every surface gets hostile
 * path and query parameters (NUL and control bytes, huge numbers, unicode, traversal, malformed
 * percent-encoding), malformed bodies and wrong types, oversize bodies and broken credentials.
 * None may answer 5xx or hang, and none may change state (the database's resource tables and
 * simcloud's live counts are compared before and after each operation's requests). Generated
 * values come from fast-check with a fixed seed and a bounded count, so a run is repeatable.
 */
const { operations, components } = await openApiOperations();
const SEED = 20261125;
const REQUEST_TIMEOUT_MS = 15_000;

let stack: Stack;
let admin: Caller;
let tables: string[];

beforeAll(async () => {
  stack = await startStack();
  admin = await signIn(stack, operations, 'admin', 'admin', 'demo');
  // Bookkeeping that any request may touch (audit trail, idempotency keys, token use, metrics) is not "state".
  const rows = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(stack.db);
  tables = rows.rows.map((r) => r.table_name).filter((t) => !/^(kysely_|audit|idempotency_keys$|api_tokens$|sessions?$|webhook_deliver|events?$)/.test(t)).sort();
});
afterAll(async () => {
  await stack?.stop();
});

/** Resource tables (row count and content hash each) and simcloud's live objects. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const parts = tables.map((t) => sql`select ${t}::text as t, count(*)::text as n, md5(string_agg(x::text, ',' order by x::text)) as h from ${sql.table(t)} x`);
  const r = await sql<{ t: string; n: string; h: string | null }>`${sql.join(parts, sql` union all `)}`.execute(stack.db);
  for (const row of r.rows) out[row.t] = `${row.n}:${row.h ?? ''}`;
  const health = (await stack.cloud.health()) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(health)) if (typeof v === 'number') out[`simcloud.${k}`] = String(v);
  return out;
}

// ---- hostile values

/** Path segments (already percent-encoded) that no identifier is: always sent. */
const INVALID_SEGMENTS = ['%00', 'a%00b', '%01', '%1F', '%7F', '%ZZ', '%C0%AF', '%ED%A0%80', '..%2F..%2Fetc%2Fpasswd'];
/** Odd but possibly valid segments (a name may be "-1"): only for reads and deletes, where a create cannot take them. */
const ODD_SEGMENTS = [
  '99999999999999999999999999',
  '-1',
  '1e309',
  encodeURIComponent('💥ñ漢字'),
  'a'.repeat(4096),
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent('<script>alert(1)</script>'),
  '%20',
  'null',
];
const generatedSegments = fc.sample(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).map((s) => encodeURIComponent(s)),
  { seed: SEED, numRuns: 4 },
);
const QUERY_VALUES = ['\u0000', 'a\u0001b', '\u007f', '9'.repeat(400), '-1', '1e309', 'NaN', '[]', '{}', '💥'.repeat(50), 'x'.repeat(10_000), ...fc.sample(fc.string({ unit: 'binary', maxLength: 30 }), { seed: SEED + 1, numRuns: 3 })];

const NUL = 'a\u0000b';
const MALFORMED_JSON = ['{', '{"a":', '[1,2', 'nul', '\u0000', '{"\\u0000":1}', '"str"', '123', 'null', '[]', '['.repeat(50_000) + ']'.repeat(50_000)];

function wrongTypes(schema: JsonSchema): unknown[] {
  const s = resolve(schema, components);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'string':
      return [12345, {}, [], NUL, 'x'.repeat(100_000)];
    case 'integer':
    case 'number':
      return ['abc', 1e300, -1, 1.5, {}];
    case 'boolean':
      return ['yes', 2];
    case 'array':
      return [{}, 'str', [NUL]];
    case 'object':
      return ['str', [], 7];
    default:
      return [NUL, {}];
  }
}

interface HostileRequest {
  label: string;
  path: string;
  init: RequestInit;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH']);

function hostileRequests(op: OpenApiOperation): HostileRequest[] {
  const surface = surfaceOf(op.path);
  const auth = surface?.headers(admin) ?? {};
  // On the platform API a Bearer token is cheaper to check than Basic's scrypt; both are accepted.
  if (surface?.name === 'platform' && admin.apiToken) auth.authorization = `Bearer ${admin.apiToken}`;
  const pathParams = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const queryParams = op.params.filter((p) => p.in === 'query');
  const plausiblePath: Record<string, string> = Object.fromEntries(pathParams.map((n) => [n, 'sweep']));
  const [bodyType, bodySchema] = Object.entries(op.bodies)[0] ?? [undefined, undefined];
  const base = bodyType ? plausible(bodySchema, components) : undefined;
  const encode = (type: string | undefined, value: unknown): { body?: RequestInit['body']; headers: Record<string, string> } => {
    if (!type || value === undefined) return { headers: {} };
    if (type.includes('json') || type.includes('xml')) return { body: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': 'application/json' } };
    const fields = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    if (type.startsWith('multipart/')) {
      const f = new FormData();
      for (const [k, v] of Object.entries(fields)) f.append(k, typeof v === 'string' ? v : JSON.stringify(v));
      return { body: f, headers: {} };
    }
    return {
      body: new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  };
  // A body that cannot be valid: sent with hostile paths and queries on mutating operations, so a
  // hostile-looking but acceptable value never creates something legitimately.
  const broken: { body?: RequestInit['body']; headers: Record<string, string> } = bodyType ? { body: '{', headers: { 'content-type': 'application/json' } } : { headers: {} };
  const plausibleBody = encode(bodyType, base);
  const req = (label: string, path: string, extra: { body?: RequestInit['body']; headers?: Record<string, string> } = {}, headers = auth): HostileRequest => ({
    label,
    path,
    init: { method: op.method, headers: { ...headers, ...extra.headers }, ...(extra.body !== undefined && op.method !== 'GET' ? { body: extra.body } : {}) },
  });
  const out: HostileRequest[] = [];

  for (const name of pathParams) {
    const segments = [...INVALID_SEGMENTS, ...(MUTATING.has(op.method) ? [] : [...ODD_SEGMENTS, ...generatedSegments])];
    for (const seg of segments) out.push(req(`path ${name}=${seg.slice(0, 30)}`, fillPath(op.path, { ...plausiblePath, [name]: seg }), plausibleBody));
  }
  const queryTargets = [...queryParams.map((p) => p.name), '__sweep'];
  for (const name of queryTargets) {
    for (const value of QUERY_VALUES) {
      const body = MUTATING.has(op.method) && !pathParams.length ? broken : plausibleBody;
      out.push(req(`query ${name}=${JSON.stringify(value).slice(0, 30)}`, `${fillPath(op.path, plausiblePath)}?${new URLSearchParams({ [name]: value })}`, body));
    }
  }
  if (bodyType) {
    const path = fillPath(op.path, plausiblePath);
    for (const raw of MALFORMED_JSON) out.push(req(`json ${JSON.stringify(raw).slice(0, 30)}`, path, { body: raw, headers: { 'content-type': 'application/json' } }));
    const props = resolve(bodySchema, components).properties ?? {};
    for (const [field, schema] of Object.entries(props)) {
      for (const wrong of wrongTypes(schema)) {
        const value = { ...(base as Record<string, unknown>), [field]: wrong };
        out.push(req(`${bodyType} ${field}=${JSON.stringify(wrong)?.slice(0, 30)}`, path, encode(bodyType, value)));
      }
    }
    for (const whole of [[], 42, 'str', null]) out.push(req(`${bodyType} body=${JSON.stringify(whole)}`, path, encode(bodyType.includes('json') ? bodyType : 'application/json', whole)));
    out.push(req('oversize json body (2 MiB)', path, { body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }));
    out.push(req('oversize form body (2 MiB)', path, { body: `pad=${'x'.repeat(2 * 1024 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    out.push(req('wrong content type', path, { body: 'plain text', headers: { 'content-type': 'text/plain' } }));
  }
  const authPath = fillPath(op.path, plausiblePath);
  const brokenAuth: Array<[string, Record<string, string>]> = [
    ['no credentials', {}],
    ['Basic %%%', { authorization: 'Basic %%%' }],
    ['Basic without colon', { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }],
    ['Basic huge password', { authorization: `Basic ${Buffer.from(`admin:${'x'.repeat(20_000)}`).toString('base64')}` }],
    ['Basic latin-1', { authorization: 'Basic ÿÿÿÿ' }],
    ['Bearer empty', { authorization: 'Bearer ' }],
    ['Bearer huge', { authorization: `Bearer ${'x'.repeat(20_000)}` }],
    ['Bearer lookalike', { authorization: `Bearer pvo_${'A'.repeat(43)}` }],
    ['Digest', { authorization: 'Digest username="admin"' }],
    ['cookie garbage', { cookie: `kahu_session=${'%00'.repeat(10)}; provisio_session=ÿ` }],
    ['x-auth-token garbage', { 'x-auth-token': `${'ÿ'.repeat(10)}../..` }],
  ];
  // Where the project travels in a header (apps), a hostile one must reach no project.
  if (auth['project-id']) {
    brokenAuth.push(['project-id hostile', { ...auth, 'project-id': '../../x' }], ['project-id huge', { ...auth, 'project-id': 'p'.repeat(5000) }]);
  }
  for (const [label, headers] of brokenAuth) out.push(req(`auth ${label}`, authPath, plausibleBody, headers));
  return out;
}

async function send(r: HostileRequest): Promise<number | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([stack.request(r.path, r.init).then((res) => res.arrayBuffer().then(() => res.status)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const bySurface = new Map<string, OpenApiOperation[]>();
for (const op of operations) {
  const name = surfaceOf(op.path)?.name ?? 'other';
  bySurface.set(name, [...(bySurface.get(name) ?? []), op]);
}

describe.each([...bySurface.keys()])('hostile input: %s', (surface) => {
  it.each(bySurface.get(surface)!.map((op) => [`${op.method} ${op.path}`, op] as const))(
    '%s: no 5xx, no hang, no state change',
    async (_, op) => {
      const requests = hostileRequests(op);
      const before = await snapshot();
      const failures: string[] = [];
      let last = before;
      for (const r of requests) {
        const status = await send(r);
        if (status === 'timeout' || status >= 500) failures.push(`${r.label} → ${status}`);
        if (op.method !== 'GET') {
          // Which request changed state, if one did: compared after each (one query).
          const now = await snapshot();
          const changed = Object.keys(now).filter((k) => now[k] !== last[k]);
          if (changed.length) failures.push(`${r.label} → ${status} changed ${changed.join(', ')}`);
          last = now;
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshot()).toEqual(before);
      expect(requests.length).toBeGreaterThan(10);
    },
    300_000,
  );
});
