import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRepository, V1 as PAAS } from '../apps/support';
import { BASE as BIGDATA, FABFILE, MINIMAL_JSON, SIZE_OPTIONS } from '../clusters/support';
import { historyText } from '../support/history-text';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { fillPath, openApiOperations, plausible, signIn, surfaceOf, type Caller, type OpenApiOperation } from './surfaces';

/**
 * Isolation and secrets (R5), generated from the routes: a user of another project, a guest, a
 * disabled user and a revoked credential against every resource route of every surface that has a
 * fixture below → 404 / 401 / 403 / 405 as the surface's contract says, never the resource's data.
 * Then a scan: no password, token or secret value (region credentials, a TURN password, a
 * supporting service's env values, a git key, OAuth tokens) in any response, log line (the
 * platform's pino output, captured) or workflow history (every run this file's platform started).
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
/** The regions' credentials (simcloud's flavor catalogs), stored sealed by the flavors surface. */
const REGION_USER = `region-${randomBytes(3).toString('hex')}`;
const REGION_PASSWORD = password('region');

let stack: Stack;
let admin: Caller;
let repo: Awaited<ReturnType<typeof gitRepository>>;
const callers: Record<'owner' | 'other' | 'guest' | 'disabled' | 'revoked', Caller> = {} as never;
const userIds: Record<string, string> = {};
/** The other user's API token scoped to the project it created (named `admin`). */
let selfScopedToken: string;
/** What the owner has on each surface (path parameters of its resources). */
const fixture: Record<string, string> = {};
/** Every response body seen, except the ones that hand out a credential (or the owner's own secrets) on purpose. */
const bodies: string[] = [];
const secrets: string[] = [];

async function call(path: string, init: RequestInit) {
  const res = await stack.request(path, init);
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text };
}

/**
 * A request whose answer is not scanned: the owner's own reads of what it owns (the app view shows
 * its services' env values to its members, by contract), and answers handing out a token.
 */
async function unscanned(path: string, init: RequestInit = {}) {
  const res = await stack.request(path, init);
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

async function platform(method: string, path: string, body?: unknown, who: Caller = admin) {
  return call(path, {
    method,
    headers: { authorization: `Bearer ${who.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const paasHeaders = (c: Caller, body = false) => ({ authorization: `Bearer ${c.oauthToken}`, 'project-id': c.project, ...(body ? { 'content-type': 'application/json' } : {}) });
const tokenHeaders = (c: Caller, body = false) => ({ 'x-auth-token': c.apiToken!, ...(body ? { 'content-type': 'application/json' } : {}) });

beforeAll(async () => {
  process.env.RUNTIME_SUPERVISOR_INTERVAL_MS = '600000';
  stack = await startStack({
    config: { LOG_LEVEL: 'debug', APPS_AUTOSCALE_PERIOD_MS: String(3_600_000), SIMCLOUD_USERNAME: REGION_USER, SIMCLOUD_PASSWORD: REGION_PASSWORD },
    simcloud: { username: REGION_USER, password: REGION_PASSWORD, buildStepMs: 10 },
  });
  secrets.push(REGION_PASSWORD, Buffer.from(`${REGION_USER}:${REGION_PASSWORD}`).toString('base64'));
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
  for (const c of Object.values(callers)) expect(c.oauthToken, `${c.username} has an OAuth token`).toBeTruthy();
  // Any user may create a project: the other user makes one named `admin`, which it administers,
  // and an API token scoped to it (a role it granted itself must grant nothing beyond that project).
  expect((await platform('POST', '/v1/projects', { id: 'admin', name: 'admin' }, callers.other)).status).toBe(201);
  // (Not among the scanned answers: it hands out a token on purpose.)
  const scoped = await unscanned('/v1/auth/tokens', {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${callers.other.username}:${callers.other.password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'self-made', projectId: 'admin', ttlSeconds: 3600 }),
  });
  expect(scoped.status, scoped.text).toBe(201);
  selfScopedToken = JSON.parse(scoped.text).token;
  secrets.push(selfScopedToken);

  // The revoked caller: the owner's, with an API token that was revoked, a Kahu session that
  // logged out and an OAuth access token revoked through the platform's token API.
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
  const oauthAgain = await signIn(stack, operations, owner.username, owner.password, owner.project);
  const ownerTokenList = JSON.parse((await platform('GET', '/v1/auth/tokens', undefined, owner)).text) as { tokens: Array<{ id: string; kind: string }> };
  const newestOauth = ownerTokenList.tokens.find((t) => t.kind === 'oauth_access')!;
  expect((await platform('DELETE', `/v1/auth/tokens/${newestOauth.id}`, undefined, owner)).status).toBe(204);
  callers.revoked = { ...owner, apiToken: revokedToken, kahuCookie: revokedCookie, oauthToken: oauthAgain.oauthToken };
  // The token revoked was the newest OAuth access token: the one just issued, not the owner's.
  expect((await stack.request(`${PAAS}/app`, { headers: paasHeaders(owner) })).status).toBe(200);
  expect((await stack.request(`${PAAS}/app`, { headers: paasHeaders(callers.revoked) })).status).toBe(401);
  // The disabled user signed in while enabled; its password, token and session must all stop working.
  expect((await platform('PATCH', `/v1/users/${userIds.disabled}`, { disabled: true })).status).toBe(200);
  for (const c of [admin, oauthAgain, ...Object.values(callers)]) {
    for (const v of [c.apiToken, c.kahuCookie?.split('=')[1], c.oauthToken, c.oauthRefresh]) if (v) secrets.push(v);
  }

  // ---- the owner's resources on each surface with a fixture
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

  // apps: a running app with a TURN password, a supporting service with a secret env value, and a git key.
  repo = await gitRepository();
  const turnPassword = password('turn');
  const envValue = `envsecret${randomBytes(8).toString('hex')}`;
  const keyBody = randomBytes(24).toString('base64');
  secrets.push(turnPassword, envValue, keyBody);
  const secret = await unscanned(`${PAAS}/secret`, {
    method: 'POST',
    headers: paasHeaders(owner, true),
    body: JSON.stringify({ privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${keyBody}\n-----END OPENSSH PRIVATE KEY-----\n` }),
  });
  expect(secret.status).toBe(200);
  fixture.secretName = secret.text;
  const app = await unscanned(`${PAAS}/app`, {
    method: 'POST',
    headers: paasHeaders(owner, true),
    body: JSON.stringify({
      name: `${MARKER}-app`,
      gitURL: repo.url,
      flavor: 'SMALL',
      ports: [{ port: 8080 }],
      turnServerActivate: true,
      turnServerUrl: 'turn.example.org:3478',
      turnServerUsername: 'turn-user',
      turnServerPassword: turnPassword,
      services: [{ name: 'db', dockerURL: 'mysql:5.7', ports: [{ port: 3306 }], envVars: [{ name: 'DB_PASSWORD', value: envValue }] }],
    }),
  });
  expect(app.status, app.text).toBe(200);
  fixture.app = app.json().app.id;
  const running = await waitFor(async () => {
    const a = (await unscanned(`${PAAS}/app/${fixture.app}`, { headers: paasHeaders(owner) })).json();
    if (a.status === 'FAILED') throw new Error(`the fixture app failed: ${a.error}`);
    return a.status === 'RUNNING' ? a : undefined;
  }, 120_000);
  fixture.podName = running.podList[0];
  fixture.hostname = running.mediaServerGroup.hosts[0].hostname;
  // An app cloned with credentials in its git URL (a token, as private repositories take them); the clone fails.
  const gitToken = `gittoken${randomBytes(8).toString('hex')}`;
  secrets.push(gitToken);
  const privateApp = await unscanned(`${PAAS}/app`, {
    method: 'POST',
    headers: paasHeaders(owner, true),
    body: JSON.stringify({ name: `${MARKER}-private`, gitURL: `https://iso-git:${gitToken}@127.0.0.1:9/private.git`, flavor: 'SMALL' }),
  });
  expect(privateApp.status, privateApp.text).toBe(200);
  await waitFor(async () => {
    const a = (await unscanned(`${PAAS}/app/${privateApp.json().app.id}`, { headers: paasHeaders(owner) })).json();
    return a.status === 'FAILED' ? a : undefined;
  }, 120_000);

  // flavors: a registered region (credentials checked there, stored sealed), a catalog flavor installed in it, a promoted flavor.
  const infra = await call('/v1/infrastructures', {
    method: 'POST',
    headers: tokenHeaders(admin, true),
    body: JSON.stringify({ infrastructure: { name: 'region-1', keystone_url: stack.simcloudUrl, username: REGION_USER, password: REGION_PASSWORD, tenant: 'iso' } }),
  });
  expect(infra.status, infra.text).toBe(201);
  const flavor = await call('/v1/flavors', {
    method: 'POST',
    headers: tokenHeaders(admin, true),
    body: JSON.stringify({ flavor: { name: `${MARKER}-flavor`, vcpus: 1, ram: 512, disk: 1, swap: 0, nodes: ['region-1'] } }),
  });
  expect(flavor.status, flavor.text).toBe(201);
  fixture.flavor = JSON.parse(flavor.text).flavor.id;
  const promoted = await call('/v1/promotedflavors', {
    method: 'POST',
    headers: tokenHeaders(admin, true),
    body: JSON.stringify({ flavor: { name: `${MARKER}-promoted`, vcpus: 1, ram: 256, disk: 1, swap: 0 } }),
  });
  expect(promoted.status, promoted.text).toBe(201);
  fixture.promoted = JSON.parse(promoted.text).flavor.id;

  // clusters: a product of the shared catalog (registered by the admin), and the owner's cluster of it.
  fixture.product = `${MARKER}-product`;
  const product = `${BIGDATA}/products/${fixture.product}/1.0`;
  expect((await call(`${BIGDATA}/products`, { method: 'POST', headers: tokenHeaders(admin, true), body: JSON.stringify({ name: fixture.product, version: '1.0', description: 'isolation' }) })).status).toBe(201);
  expect((await call(`${product}/template`, { method: 'PUT', headers: { ...tokenHeaders(admin), 'content-type': 'application/json' }, body: MINIMAL_JSON })).status).toBe(204);
  expect((await call(`${product}/options`, { method: 'PUT', headers: tokenHeaders(admin, true), body: JSON.stringify(SIZE_OPTIONS) })).status).toBe(204);
  expect((await call(`${product}/orchestrator`, { method: 'PUT', headers: { ...tokenHeaders(admin), 'content-type': 'text/x-python' }, body: FABFILE })).status).toBe(204);
  const launched = await call(product, { method: 'POST', headers: tokenHeaders(owner, true), body: JSON.stringify({ size: 1 }) });
  expect(launched.status, launched.text).toBe(202);
  fixture.queue = JSON.parse(launched.text).url.split('/').pop();
  const uri = await waitFor(async () => {
    const q = await stack.request(`${BIGDATA}/queue/${fixture.queue}`, { headers: tokenHeaders(owner) });
    return q.status === 303 ? q.headers.get('location')! : undefined;
  });
  fixture.cluster = uri.split('/').pop()!;
  const cluster = await waitFor(async () => {
    const c = await call(uri, { headers: tokenHeaders(owner) });
    const data = JSON.parse(c.text).data;
    return data.status === 'ready' ? data : undefined;
  }, 60_000);
  // What only the cluster's owner may see (its path, which names owner and product, is what callers send).
  const nodes = JSON.parse((await call(`${uri}/nodes`, { headers: tokenHeaders(owner) })).text).nodes;
  fixture.clusterDnsname = cluster.name;
  fixture.clusterNode = nodes[0].address;
  expect(fixture.clusterDnsname).toBeTruthy();
  expect(fixture.clusterNode).toBeTruthy();
}, 400_000);

afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
  (fs as { writeSync: unknown }).writeSync = originalWriteSync;
  (fs as { write: unknown }).write = originalWrite;
});

/**
 * The callers without access: a member of another project (`other`, in its own project; for apps
 * also `otherInOwnerProject`, naming the owner's project in `project-id`), the same user acting in
 * a project it created itself and so administers (`otherInAdminProject`: named `admin`, upstream's
 * "admin project" that sees every project's apps; for flavors and clusters with a token scoped to
 * it), a guest of the owner's project, a disabled user, and revoked credentials.
 */
type Kind = 'other' | 'otherInOwnerProject' | 'otherInAdminProject' | 'guest' | 'disabled' | 'revoked';
const KINDS: Kind[] = ['other', 'otherInOwnerProject', 'otherInAdminProject', 'guest', 'disabled', 'revoked'];
const OTHERS: Kind[] = ['other', 'otherInOwnerProject', 'otherInAdminProject'];

interface Target {
  params: Record<string, string>;
  /** Statuses a caller gets here where the surface's general contract does not fit. */
  expect?: Partial<Record<Kind, number[]>>;
  /** A shared catalog: every signed-in caller reads it (200, the data included); writes follow the contract. */
  sharedRead?: boolean;
  /** Read without any credential (the contract makes it public). */
  publicRead?: boolean;
  /** Who must never see the owner's data here, whatever the status (e.g. a list answering the caller's own). */
  hiddenFrom?: Kind[];
  /** What of the owner's data shows (default: MARKER, in the names of what the owner made). */
  hiddenValues?: string[];
  /** Not swept for these callers: the route acts on the caller's own things (a create in their own project). */
  skip?: Kind[];
  /** The body to send, instead of a plausible one from the schema. */
  body?: unknown;
}

/**
 * Per surface: the owner's resource behind each route's path parameters, or null for routes that
 * are not a project's resources (global catalogs, admin endpoints). Add a surface here.
 */
const FIXTURES: Record<string, (path: string, method: string) => Target | null> = {
  compute: (path): Target | null => {
    // Profiles, sizes and hypervisors are one catalog for everyone (also under /v0/tenant/…), not a project's.
    if (!/\{n\}|\{tenant\}/.test(path) || /\/(profile|size)\b|\/hypervisor\//.test(path)) return null;
    return { params: { n: fixture.n!, tenant: 'iso-a', iface: 'default', name: path.includes('/snapshot/') ? `${MARKER}-snap` : 'root' } };
  },
  runtimes: (path): Target | null => (path.includes('{id}') ? { params: { id: fixture.runtime! } } : null),
  platform: (path): Target | null => {
    if (path.startsWith('/v1/operations/{id}')) return { params: { id: fixture.operation! } };
    if (path.startsWith('/v1/projects/{id}')) return { params: { id: 'iso-a', userId: userIds.owner!, webhookId: randomUUID(), deliveryId: randomUUID() } };
    if (path.startsWith('/v1/auth/tokens/{id}')) return { params: { id: fixture.token! }, expect: { guest: [404] } };
    if (path.startsWith('/v1/users/{id}')) return { params: { id: userIds.owner! }, expect: { other: [403, 404] } };
    return null;
  },
  apps: (path, method): Target | null => {
    const params = { id: fixture.app!, podName: fixture.podName!, hostname: fixture.hostname!, projectName: 'iso-a', secretName: fixture.secretName! };
    const tail = path.replace(/^\/api\/v[12]\/nubomedia\/paas/, '');
    // The media-server manager's address: one for the platform, read by anyone signed in.
    if (tail === '/server-ip') return { params, sharedRead: true, expect: { otherInOwnerProject: [404] } };
    // The caller's project's apps: its own (none), never the owner's; naming the owner's project: 404.
    if (tail === '/app' && method === 'GET') return { params, expect: { other: [200], otherInOwnerProject: [404], otherInAdminProject: [200] }, hiddenFrom: [...OTHERS, 'disabled', 'revoked'] };
    // Deletes every app of the caller's project: another project has none (404), the owner's is not the caller's (404).
    if (tail === '/app' && method === 'DELETE') return { params };
    // Creates in the caller's own project: nothing of the owner's to reach (guests are refused: 403).
    if ((tail === '/app' || tail === '/secret') && method === 'POST') return { params, skip: ['other', 'otherInAdminProject'] };
    if (tail === '/multipledelete') return { params, body: [fixture.app] };
    return { params };
  },
  flavors: (path): Target => {
    const params = { id: path.startsWith('/v1/promotedflavors') ? fixture.promoted! : fixture.flavor!, region: 'region-1', name: 'region-1' };
    // One catalog, the regions' included: everyone signed in reads it; writes need an InfrastructureManager (405).
    return { params, sharedRead: true };
  },
  clusters: (path, method): Target => {
    const params = {
      name: fixture.product!,
      version: '1.0',
      user: callers.owner.username,
      product: fixture.product!,
      id: path.startsWith(`${BIGDATA}/queue/`) ? fixture.queue! : fixture.cluster!,
    };
    if (path === `${BIGDATA}/products/{name}`) return { params, publicRead: true };
    if (path.startsWith(`${BIGDATA}/products`)) {
      // The shared catalog: everyone signed in reads it, managers change it (403).
      if (method === 'GET') return { params, sharedRead: true };
      // A launch makes the caller's own cluster in the caller's project (guests are refused: 403).
      if (method === 'POST' && path === `${BIGDATA}/products/{name}/{version}`) return { params, skip: ['other', 'otherInAdminProject'] };
      return { params, expect: { other: [403], otherInAdminProject: [403] } };
    }
    // The cluster's path names its owner and product (callers send those): its dnsname and its nodes' addresses are what must not show.
    const owned = { hiddenFrom: ['other', 'otherInAdminProject', 'guest', 'disabled', 'revoked'] as Kind[], hiddenValues: [fixture.clusterDnsname!, fixture.clusterNode!] };
    // Lists answer the caller's own clusters: never the owner's.
    if (/\/clusters(\/\{user\}(\/\{product\}(\/\{version\})?)?)?$/.test(path)) return { params, expect: { other: [200], otherInAdminProject: [200], guest: [200] }, ...owned };
    // Another user's cluster (and its queue entry) does not exist for the caller, guests of its project included.
    return { params, expect: { guest: [404] }, ...owned };
  },
};

function headersFor(kind: Kind, op: OpenApiOperation): Record<string, string> | null {
  const surface = surfaceOf(op.path)!;
  if (kind === 'otherInOwnerProject') return surface.name === 'apps' ? { ...surface.headers(callers.other), 'project-id': callers.owner.project } : null;
  if (kind === 'otherInAdminProject') {
    if (surface.name === 'apps') return { ...surface.headers(callers.other), 'project-id': 'admin' };
    return surface.name === 'flavors' || surface.name === 'clusters' ? surface.headers({ ...callers.other, apiToken: selfScopedToken }) : null;
  }
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
  const read = op.method === 'GET';
  if (read && target.publicRead) return [200];
  const special = target.expect?.[kind];
  if (special) return read ? special : [...special, ...validation];
  const signedIn = OTHERS.includes(kind) || kind === 'guest';
  if (read && target.sharedRead && signedIn) return [200];
  switch (kind) {
    case 'other':
    case 'otherInOwnerProject':
    case 'otherInAdminProject':
      return [...contract.foreign, ...validation];
    case 'guest':
      // Guests read (where their role suffices: 403 elsewhere; 404 where the thing itself is absent) and change nothing.
      return read ? [200, 403, 404] : [...contract.forbidden, ...validation];
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
  it('covers the resource routes of every surface', () => {
    expect(new Set(resourceRoutes.map((r) => r.surface))).toEqual(new Set(['compute', 'runtimes', 'platform', 'apps', 'flavors', 'clusters']));
  });

  it.each(KINDS)('%s: 404 / 401 / 403 / 405 as each contract says, never the data', async (kind) => {
    const problems: string[] = [];
    let checked = 0;
    for (const { op, make } of resourceRoutes) {
      const target = make(op.path, op.method);
      if (!target || target.skip?.includes(kind)) continue;
      const headers = headersFor(kind, op);
      if (!headers) continue;
      const [bodyType, schema] = Object.entries(op.bodies)[0] ?? [];
      const value = bodyType ? (target.body ?? plausible(schema, components)) : undefined;
      const body =
        value === undefined || op.method === 'GET'
          ? undefined
          : bodyType!.includes('json') || bodyType!.includes('xml')
            ? JSON.stringify(value)
            : new URLSearchParams(Object.entries(value as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString();
      const contentType = bodyType?.includes('json') || bodyType?.includes('xml') ? 'application/json' : 'application/x-www-form-urlencoded';
      const res = await call(fillPath(op.path, target.params), {
        method: op.method,
        headers: { ...headers, ...(body ? { 'content-type': contentType } : {}) },
        ...(body ? { body } : {}),
      });
      checked++;
      const allowed = expected(kind, op, target);
      if (!allowed.includes(res.status)) problems.push(`${op.method} ${op.path} → ${res.status} (contract: ${allowed.join('/')}) ${res.text.slice(0, 160)}`);
      const openRead = op.method === 'GET' && (target.publicRead || target.sharedRead);
      const hidden = target.hiddenFrom ?? [...OTHERS, 'disabled', 'revoked'];
      const shown = (target.hiddenValues ?? [MARKER]).find((v) => res.text.includes(v));
      if (!openRead && hidden.includes(kind) && shown) problems.push(`${op.method} ${op.path} → ${res.status} shows the owner's data (${shown})`);
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
    const app = await unscanned(`${PAAS}/app/${fixture.app}`, { headers: paasHeaders(callers.owner) });
    expect(app.status).toBe(200);
    expect(app.json()).toMatchObject({ name: `${MARKER}-app`, status: 'RUNNING' });
    const list = await call(`${BIGDATA}/clusters`, { headers: tokenHeaders(callers.owner) });
    expect(list.text).toContain(fixture.clusterDnsname);
    const flavor = await call(`/v1/flavors/${fixture.flavor}`, { headers: tokenHeaders(callers.owner) });
    expect(JSON.parse(flavor.text).flavor).toMatchObject({ name: `${MARKER}-flavor`, nodes: ['region-1'] });
  });
});

describe('secrets: nowhere in responses, logs or workflow histories', () => {
  it('no password, token, region credential, TURN password, env value or git key in any response body, log line or history of this platform', async () => {
    expect(secrets.length).toBeGreaterThan(15);
    const histories: string[] = [];
    for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` })) {
      histories.push(historyText(await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()));
    }
    expect(histories.length).toBeGreaterThan(5);
    expect(histories.some((h) => h.includes('deployApp'))).toBe(true);
    expect(histories.some((h) => h.includes('launchCluster'))).toBe(true);
    expect(histories.some((h) => h.includes('installFlavor'))).toBe(true);
    expect(logLines.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    const scan = (where: string, texts: string[]) => {
      for (const secret of secrets) {
        const hit = texts.findIndex((t) => t.includes(secret));
        if (hit >= 0) leaks.push(`${where}: ${secret.slice(0, 6)}… in ${texts[hit]!.slice(0, 300)}`);
      }
    };
    scan('response', bodies);
    scan('log', logLines);
    scan('history', histories);
    expect(leaks).toEqual([]);
  }, 120_000);
});
