import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { fillPath, openApiOperations, plausible, signIn, surfaceOf, type Caller, type OpenApiOperation } from './surfaces';

/**
 * Isolation and secrets (R5), generated from the routes: a user of another project, a guest, a
 * disabled user and a revoked credential against every resource route of every surface that has a
 * fixture below → 404 / 401 / 403 as the surface's contract says, never the resource's data. Then a
 * scan: no password, token or secret value in any response, log line (the platform's pino output,
 * captured) or workflow history (every run this file's platform started).
 */
const { operations, components } = await openApiOperations();

// ---- capture the platform's log lines (pino writes to fd 1 synchronously through fs)
const logLines: string[] = [];
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const originalWriteSync = fs.writeSync;
const originalWrite = fs.write;
(fs as { writeSync: unknown }).writeSync = function (fd: number, data: unknown, ...rest: unknown[]) {
  if (fd === 1 || fd === 2) logLines.push(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8'));
  return (originalWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
};
(fs as { write: unknown }).write = function (fd: number, data: unknown, ...rest: unknown[]) {
  if (fd === 1 || fd === 2) logLines.push(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8'));
  return (originalWrite as (...a: unknown[]) => void)(fd, data, ...rest);
};

const MARKER = `isomark${randomBytes(4).toString('hex')}`;
const password = (who: string) => `${who}-pw-${randomBytes(6).toString('hex')}`;

let stack: Stack;
let admin: Caller;
const callers: Record<'owner' | 'other' | 'guest' | 'disabled' | 'revoked', Caller> = {} as never;
const userIds: Record<string, string> = {};
/** What the owner has on each surface (path parameters of its resources). */
const fixture: Record<string, string> = {};
/** Every response body seen, except the ones that hand out a credential on purpose. */
const bodies: string[] = [];
const secrets: string[] = [];

async function call(path: string, init: RequestInit) {
  const res = await stack.request(path, init);
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text };
}

async function platform(method: string, path: string, body?: unknown, who: Caller = admin) {
  return call(path, {
    method,
    headers: { authorization: `Bearer ${who.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  process.env.RUNTIME_SUPERVISOR_INTERVAL_MS = '600000';
  stack = await startStack({ config: { LOG_LEVEL: 'debug' } });
  admin = await signIn(stack, operations, 'admin', 'admin', 'demo');
  for (const p of ['iso-a', 'iso-b']) expect((await platform('POST', '/v1/projects', { id: p, name: p })).status).toBe(201);
  const users: Array<[keyof typeof callers, string, string, 'member' | 'guest']> = [
    ['owner', 'iso-owner', 'iso-a', 'member'],
    ['other', 'iso-other', 'iso-b', 'member'],
    ['guest', 'iso-guest', 'iso-a', 'guest'],
    ['disabled', 'iso-disabled', 'iso-a', 'member'],
  ];
  for (const [key, username, project, role] of users) {
    const pw = password(username);
    secrets.push(pw, Buffer.from(`${username}:${pw}`).toString('base64'));
    const created = await platform('POST', '/v1/users', { username, password: pw, defaultProjectId: project });
    expect(created.status).toBe(201);
    userIds[key] = JSON.parse(created.text).id;
    expect((await platform('POST', `/v1/projects/${project}/members`, { username, role })).status).toBe(201);
    callers[key] = await signIn(stack, operations, username, pw, project);
  }
  // The revoked caller: the owner's, with an API token that was revoked and a Kahu session that logged out.
  const owner = callers.owner;
  const ownerBasic = `Basic ${Buffer.from(`${owner.username}:${owner.password}`).toString('base64')}`;
  const issued = await stack.request('/v1/auth/tokens', {
    method: 'POST',
    headers: { authorization: ownerBasic, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'to-revoke', ttlSeconds: 3600 }),
  });
  const { id: revokedId, token: revokedToken } = (await issued.json()) as { id: string; token: string };
  expect((await platform('DELETE', `/v1/auth/tokens/${revokedId}`, undefined, owner)).status).toBe(204);
  const login = await stack.request('/v0/auth/login', { method: 'POST', body: new URLSearchParams({ role: owner.username, password: owner.password }) });
  const revokedCookie = login.headers.get('set-cookie')!.split(';')[0]!;
  expect((await call('/v0/auth/logout', { method: 'POST', headers: { cookie: revokedCookie } })).status).toBe(200);
  callers.revoked = { ...owner, apiToken: revokedToken, kahuCookie: revokedCookie, oauthToken: undefined };
  // The disabled user signed in while enabled; its password, token and session must all stop working.
  expect((await platform('PATCH', `/v1/users/${userIds.disabled}`, { disabled: true })).status).toBe(200);
  for (const c of [admin, ...Object.values(callers)]) for (const v of [c.apiToken, c.kahuCookie?.split('=')[1], c.oauthToken]) if (v) secrets.push(v);

  // The owner's resources on each surface with a fixture.
  const kahu = { cookie: callers.owner.kahuCookie! };
  const inst = await stack.request('/v0/compute/instance/', {
    method: 'POST',
    headers: kahu,
    body: new URLSearchParams({ profile: 'debian-jessie-amd64', size: '1cpu256mb', name: `${MARKER}-vm` }),
  });
  expect(inst.status).toBe(201);
  const instBody = (await inst.json()) as { operation: string };
  fixture.n = inst.headers.get('location')!.match(/instance\/(\d+)/)![1]!;
  fixture.operation = instBody.operation.split('/').pop()!;
  expect((await stack.request(`/v0/compute/instance/${fixture.n}/snapshot/`, { method: 'POST', headers: kahu, body: new URLSearchParams({ name: `${MARKER}-snap` }) })).status).toBe(200);
  const owner64 = Buffer.from(`${callers.owner.username}:${callers.owner.password}`).toString('base64');
  const rt = await stack.request('/serverless-runtimes', {
    method: 'POST',
    headers: { authorization: `Basic ${owner64}`, 'content-type': 'application/json' },
    body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: `${MARKER}-rt`, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
  });
  expect(rt.status).toBe(201);
  fixture.runtime = String(((await rt.json()) as { SERVERLESS_RUNTIME: { ID: number } }).SERVERLESS_RUNTIME.ID);
  await waitFor(async () => {
    const r = await stack.request(`/serverless-runtimes/${fixture.runtime}`, { headers: { authorization: `Basic ${owner64}` } });
    return ((await r.json()) as { SERVERLESS_RUNTIME: { FAAS: { STATE: string } } }).SERVERLESS_RUNTIME.FAAS.STATE === 'RUNNING' ? true : undefined;
  });
  const ownerTokens = JSON.parse((await platform('GET', '/v1/auth/tokens', undefined, callers.owner)).text);
  fixture.token = (Array.isArray(ownerTokens) ? ownerTokens : ownerTokens.tokens)[0].id;
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  (fs as { writeSync: unknown }).writeSync = originalWriteSync;
  (fs as { write: unknown }).write = originalWrite;
});

interface Target {
  params: Record<string, string>;
  /** Statuses a foreign caller may get here when the surface's general contract does not fit (admin-only routes: 403). */
  foreign?: number[];
  /** Same for a member whose role is too low (another user's token: 404, as if it did not exist). */
  forbidden?: number[];
}

/**
 * Per surface: the owner's resource behind each route's path parameters, or null for routes that
 * are not a project's resources (global catalogs, admin endpoints). Add a surface here.
 */
const FIXTURES: Record<string, (path: string) => Target | null> = {
  compute: (path): Target | null => {
    // Profiles, sizes and hypervisors are one catalog for everyone (also under /v0/tenant/…), not a project's.
    if (!/\{n\}|\{tenant\}/.test(path) || /\/(profile|size)\b|\/hypervisor\//.test(path)) return null;
    return { params: { n: fixture.n!, tenant: 'iso-a', iface: 'default', name: path.includes('/snapshot/') ? `${MARKER}-snap` : 'root' } };
  },
  runtimes: (path): Target | null => (path.includes('{id}') ? { params: { id: fixture.runtime! } } : null),
  platform: (path): Target | null => {
    if (path.startsWith('/v1/operations/{id}')) return { params: { id: fixture.operation! } };
    if (path.startsWith('/v1/projects/{id}')) return { params: { id: 'iso-a', userId: userIds.owner!, webhookId: randomUUID(), deliveryId: randomUUID() } };
    if (path.startsWith('/v1/auth/tokens/{id}')) return { params: { id: fixture.token! }, forbidden: [404] };
    if (path.startsWith('/v1/users/{id}')) return { params: { id: userIds.owner! }, foreign: [403, 404] };
    return null;
  },
  // apps: (path) => ({ params: { id: <the owner's app id> } }),        once the apps fixture creates one
  // flavors: (path) => ({ params: { id: <a private flavor of the owner's project> } }),
  // clusters: (path) => ({ params: { id: <the owner's cluster> } }),
};

type Kind = 'other' | 'guest' | 'disabled' | 'revoked';

function headersFor(kind: Kind, op: OpenApiOperation): Record<string, string> | null {
  const surface = surfaceOf(op.path)!;
  const caller = callers[kind];
  if (surface.name === 'platform') return { authorization: kind === 'disabled' ? `Basic ${Buffer.from(`${caller.username}:${caller.password}`).toString('base64')}` : `Bearer ${caller.apiToken}` };
  if (kind === 'revoked' && surface.name === 'runtimes') return null; // HTTP Basic only: there is no token to revoke
  return surface.headers(caller);
}

function expected(kind: Kind, op: OpenApiOperation, target: Target): number[] {
  const contract = surfaceOf(op.path)!.contract;
  const hasBody = Object.keys(op.bodies).length > 0;
  // Validation of a body comes before authorization in some routes: a 400/422 tells nothing either.
  const validation = hasBody && op.method !== 'GET' ? [400, 422] : [];
  switch (kind) {
    case 'other':
      return [...(target.foreign ?? contract.foreign), ...validation];
    case 'guest':
      // Guests read (where their role suffices: 403 elsewhere; 404 where the thing itself is absent) and change nothing.
      return op.method === 'GET' ? [200, 403, 404] : [...(target.forbidden ?? contract.forbidden), ...validation];
    case 'disabled':
    case 'revoked':
      return contract.unauthenticated;
  }
}

const resourceRoutes = operations.flatMap((op) => {
  const surface = surfaceOf(op.path);
  const make = surface && FIXTURES[surface.name];
  return make ? [{ op, surface: surface.name, make }] : [];
});

describe('isolation: every resource route, every kind of caller without access', () => {
  it('covers the resource routes of compute, runtimes and the platform API', () => {
    expect(new Set(resourceRoutes.map((r) => r.surface))).toEqual(new Set(['compute', 'runtimes', 'platform']));
  });

  it.each(['other', 'guest', 'disabled', 'revoked'] as const)('%s: 404 / 401 / 403 as each contract says, never the data', async (kind) => {
    const problems: string[] = [];
    let checked = 0;
    for (const { op, make } of resourceRoutes) {
      const target = make(op.path);
      if (!target) continue;
      const headers = headersFor(kind, op);
      if (!headers) continue;
      const [bodyType, schema] = Object.entries(op.bodies)[0] ?? [];
      const value = bodyType ? plausible(schema, components) : undefined;
      const body =
        value === undefined || op.method === 'GET'
          ? undefined
          : bodyType!.includes('json')
            ? JSON.stringify(value)
            : new URLSearchParams(Object.entries(value as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString();
      const contentType = bodyType?.includes('json') ? 'application/json' : 'application/x-www-form-urlencoded';
      const res = await call(fillPath(op.path, target.params), {
        method: op.method,
        headers: { ...headers, ...(body ? { 'content-type': contentType } : {}) },
        ...(body ? { body } : {}),
      });
      checked++;
      const allowed = expected(kind, op, target);
      if (!allowed.includes(res.status)) problems.push(`${op.method} ${op.path} → ${res.status} (contract: ${allowed.join('/')}) ${res.text.slice(0, 120)}`);
      if (res.status >= 200 && res.status < 300 && kind !== 'guest') problems.push(`${op.method} ${op.path} answered ${res.status} with data`);
      if (kind !== 'guest' && res.text.includes(MARKER)) problems.push(`${op.method} ${op.path} → ${res.status} shows the owner's data`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  }, 300_000);

  it('the owner still sees everything (the fixtures are real)', async () => {
    const kahu = await call(`/v0/compute/instance/${fixture.n}`, { headers: { cookie: callers.owner.kahuCookie! } });
    expect(kahu.status).toBe(200);
    expect(kahu.text).toContain(MARKER);
    const op = await platform('GET', `/v1/operations/${fixture.operation}`, undefined, callers.owner);
    expect(op.status).toBe(200);
  });
});

describe('secrets: nowhere in responses, logs or workflow histories', () => {
  it('no password, token or credential value in any response body, log line or history of this platform', async () => {
    expect(secrets.length).toBeGreaterThan(10);
    const histories: string[] = [];
    for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` })) {
      histories.push(JSON.stringify(await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()));
    }
    expect(histories.length).toBeGreaterThan(2);
    expect(logLines.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    const scan = (where: string, texts: string[]) => {
      for (const secret of secrets) {
        const hit = texts.findIndex((t) => t.includes(secret));
        if (hit >= 0) leaks.push(`${where}: ${secret.slice(0, 6)}… in ${texts[hit]!.slice(0, 200)}`);
      }
    };
    scan('response', bodies);
    scan('log', logLines);
    scan('history', histories);
    expect(leaks).toEqual([]);
  }, 120_000);
});
