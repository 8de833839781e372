/**
 * What the generated sweeps (hostile-input.test.ts, isolation.test.ts) know per surface: the
 * operations come from /openapi.json, so a new surface is swept as soon as its routes are there;
 * only how a caller authenticates is per surface, in SURFACES below. A surface that needs a
 * credential the table does not know yet is still swept, unauthenticated.
 */
import { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { SimcloudClient } from '../../cloud/simcloud-client';
import { createDb } from '../../db/connection';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { Stack } from '../support/stack';

export interface OpenApiOperation {
  method: string;
  /** OpenAPI path template, e.g. /v0/compute/instance/{n} */
  path: string;
  params: Array<{ name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema?: JsonSchema }>;
  /** Request body schemas by content type. */
  bodies: Record<string, JsonSchema>;
  responses: string[];
}

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  minimum?: number;
  pattern?: string;
  additionalProperties?: boolean | JsonSchema;
};

/**
 * The operations of /openapi.json, read when the test file is collected (so each becomes a test):
 * from the app itself, built over dependencies that are never called while it only describes itself.
 */
export async function openApiOperations(): Promise<{ operations: OpenApiOperation[]; components: Record<string, JsonSchema> }> {
  const app = createApp({
    config: loadConfig({ PROVISIO_ENV: 'test' }),
    db: createDb('postgres://127.0.0.1:1/unused'),
    temporal: new Client(),
    logger: createLogger('openapi', 'silent'),
    cloud: new SimcloudClient('http://127.0.0.1:1') as never,
  });
  const doc = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { parameters?: OpenApiOperation['params']; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; responses?: Record<string, unknown> }>>;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const operations: OpenApiOperation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        bodies: Object.fromEntries(Object.entries(op.requestBody?.content ?? {}).map(([type, c]) => [type, c.schema ?? {}])),
        responses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return { operations, components: doc.components?.schemas ?? {} };
}

export const hasRoute = (operations: OpenApiOperation[], method: string, path: string) =>
  operations.some((o) => o.method === method && o.path === path);

/** A caller's credentials on every surface. */
export interface Caller {
  username: string;
  password: string;
  /** A Provisio API token (Bearer, X-Auth-Token). */
  apiToken?: string;
  /** A Kahu session cookie (`name=value`). */
  kahuCookie?: string;
  /** An OAuth access token (apps). */
  oauthToken?: string;
  /** The OAuth refresh token handed out with it. */
  oauthRefresh?: string;
  project: string;
}

export interface SurfaceAuth {
  name: string;
  /** Path prefixes of the surface's operations (the first table entry that matches wins). */
  prefixes: string[];
  /** Headers that authenticate `caller` on this surface. */
  headers(caller: Caller): Record<string, string>;
  /**
   * What a caller without access gets on this surface: an unknown or foreign resource (404 per
   * the contract), a bad credential, a role too low.
   */
  contract: { foreign: number[]; unauthenticated: number[]; forbidden: number[] };
}

const basic = (c: Caller) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** Per-surface knowledge; add a surface here (its routes are swept from /openapi.json already). */
export const SURFACES: SurfaceAuth[] = [
  {
    name: 'compute',
    prefixes: ['/v0/'],
    headers: (c): Record<string, string> => (c.kahuCookie ? { cookie: c.kahuCookie } : {}),
    contract: { foreign: [404], unauthenticated: [401], forbidden: [403] },
  },
  {
    name: 'runtimes',
    prefixes: ['/serverless-runtimes', '/server/'],
    headers: (c) => ({ authorization: basic(c) }),
    contract: { foreign: [404], unauthenticated: [401], forbidden: [403] },
  },
  {
    // apps (NUBOMEDIA PaaS): OAuth2 password grant, then Bearer plus the project-id header (the
    // caller's project). Another project's app does not exist (404), nor does a project the
    // caller is not in; a guest only reads (403 on anything else).
    name: 'apps',
    prefixes: ['/api/v1/nubomedia/', '/api/v2/nubomedia/'],
    headers: (c): Record<string, string> => (c.oauthToken ? { authorization: `Bearer ${c.oauthToken}`, 'project-id': c.project } : {}),
    contract: { foreign: [404], unauthenticated: [401], forbidden: [403] },
  },
  {
    // flavors (FIWARE flavor-sync): X-Auth-Token. One catalog every signed-in caller reads;
    // changing it needs an InfrastructureManager: anyone else gets 405.
    name: 'flavors',
    prefixes: ['/v1/flavors', '/v1/promotedflavors', '/v1/regions', '/v1/region/', '/v1/infrastructures'],
    headers: (c): Record<string, string> => (c.apiToken ? { 'x-auth-token': c.apiToken } : {}),
    contract: { foreign: [405], unauthenticated: [401], forbidden: [405] },
  },
  {
    // clusters (big-data products and clusters): x-auth-token. Products are a shared catalog
    // (managers change it: 403 otherwise); a cluster is its launcher's: anyone else gets 404.
    name: 'clusters',
    prefixes: ['/bigdata/'],
    headers: (c): Record<string, string> => (c.apiToken ? { 'x-auth-token': c.apiToken } : {}),
    contract: { foreign: [404], unauthenticated: [401], forbidden: [403] },
  },
  {
    // Provisio's own API: HTTP Basic (or a Bearer API token).
    name: 'platform',
    prefixes: ['/v1/'],
    headers: (c) => ({ authorization: basic(c) }),
    contract: { foreign: [404], unauthenticated: [401], forbidden: [403] },
  },
];

export const surfaceOf = (path: string) => SURFACES.find((s) => s.prefixes.some((p) => path.startsWith(p)));

/**
 * Logs a user in on every surface whose login route exists: a Kahu session, an API token, and an
 * OAuth access token when the apps surface is there.
 */
export async function signIn(stack: Stack, operations: OpenApiOperation[], username: string, password: string, project: string): Promise<Caller> {
  const caller: Caller = { username, password, project };
  const b = basic(caller);
  const login = await stack.app.request('/v0/auth/login', { method: 'POST', body: new URLSearchParams({ role: username, password }) });
  if (login.status === 200) caller.kahuCookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const token = await stack.app.request('/v1/auth/tokens', {
    method: 'POST',
    headers: { authorization: b, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `sweep-${username}`, ttlSeconds: 3600 }),
  });
  if (token.status === 201 || token.status === 200) caller.apiToken = ((await token.json()) as { token: string }).token;
  if (hasRoute(operations, 'POST', '/oauth/token')) {
    const client = `${stack.config.APPS_OAUTH_CLIENT_ID}:${stack.config.APPS_OAUTH_CLIENT_SECRET}`;
    const res = await stack.app.request('/oauth/token', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(client).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    });
    if (res.status === 200) {
      // The seed's token answer: `value` and `refreshToken.value` (access_token, should it ever be RFC 6749's).
      const answer = (await res.json()) as { value?: string; access_token?: string; refreshToken?: { value?: string } };
      caller.oauthToken = answer.value ?? answer.access_token;
      caller.oauthRefresh = answer.refreshToken?.value;
    }
  }
  return caller;
}

/** Resolves `$ref`s to components (one level is all the sweeps need). */
export function resolve(schema: JsonSchema | undefined, components: Record<string, JsonSchema>): JsonSchema {
  if (!schema) return {};
  if (schema.$ref) return resolve(components[schema.$ref.split('/').pop()!], components);
  return schema;
}

/** A plausible value for a schema: the base the sweeps break one field of. */
export function plausible(schema: JsonSchema | undefined, components: Record<string, JsonSchema>, depth = 0): unknown {
  const s = resolve(schema, components);
  if (depth > 4) return null;
  if (s.enum?.length) return s.enum[0];
  const choice = s.anyOf ?? s.oneOf;
  if (choice?.length) return plausible(choice[0], components, depth + 1);
  if (s.allOf?.length) return Object.assign({}, ...s.allOf.map((x) => plausible(x, components, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
    case undefined:
      if (!s.properties) return type === 'object' ? {} : 'x';
      return Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, plausible(v, components, depth + 1)]));
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return true;
    default:
      return s.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'sweep';
  }
}

/** Fills an OpenAPI path template. */
export const fillPath = (template: string, values: Record<string, string>) =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'sweep');
