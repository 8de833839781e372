import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Db } from '../../db/connection';
import { loadConfig } from '../../lib/config';
import type { AppDeps } from '../../api/deps';
import { bootstrapIdentity } from '../../db/seeds/identity';
import { identityRoutes } from '../../api/identity';
import { createMigratedDb } from '../support/database';

/** The /v1 identity API through app.request against a real, migrated Postgres. */

let db: Db;
let drop: () => Promise<void>;
let app: OpenAPIHono;
/** Everything any response said, to prove no secret ever leaves. */
const seen: string[] = [];

beforeAll(async () => {
  ({ db, drop } = await createMigratedDb('provisio_identity_api'));
  const deps: AppDeps = { db, config: loadConfig({}), logger: pino({ level: 'silent' }), temporal: undefined as any, cloud: undefined as any };
  await bootstrapIdentity(db, deps.config);
  app = new OpenAPIHono().route('/v1', identityRoutes(deps));
});
afterAll(async () => drop?.());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin');

async function call(method: string, path: string, auth?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(`/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function newUser(username: string, password = `${username}-pass`) {
  const res = await call('POST', '/users', ADMIN, { username, password });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, auth: basic(username, password) };
}

describe('tokens', () => {
  let token: string;
  let tokenId: string;

  it('issues an API token with HTTP Basic', async () => {
    const res = await call('POST', '/auth/tokens', ADMIN, { name: 'ci', ttlSeconds: 3600 });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token: expect.stringMatching(/^pvo_/), name: 'ci', projectId: null });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    ({ token, id: tokenId } = res.body);
  });

  it('issues an API token from JSON credentials, without any body from Basic', async () => {
    const json = await call('POST', '/auth/tokens', undefined, { username: 'admin', password: 'admin' });
    expect(json.status).toBe(201);
    const bare = await call('POST', '/auth/tokens', ADMIN);
    expect(bare.status).toBe(201);
  });

  it('refuses to issue without valid credentials', async () => {
    expect(await call('POST', '/auth/tokens')).toMatchObject({ status: 401, body: { error: { message: 'Authentication required' } } });
    expect((await call('POST', '/auth/tokens', basic('admin', 'wrong'))).status).toBe(401);
    expect((await call('POST', '/auth/tokens', undefined, { username: 'ghost', password: 'x' })).status).toBe(401);
    // A token cannot mint tokens: a leaked one must not outlive itself.
    expect((await call('POST', '/auth/tokens', `Bearer ${token}`)).status).toBe(401);
  });

  it('authenticates /v1 with the token and lists it without its secret', async () => {
    const me = await call('GET', '/me', `Bearer ${token}`);
    expect(me).toMatchObject({ status: 200, body: { username: 'admin', isAdmin: true, tokenId, projects: [{ id: 'demo', role: 'admin' }] } });
    const list = await call('GET', '/auth/tokens', `Bearer ${token}`);
    expect(list.status).toBe(200);
    expect(list.body.tokens.find((t: { id: string }) => t.id === tokenId)).toMatchObject({ kind: 'api', name: 'ci' });
    expect(JSON.stringify(list.body)).not.toContain('pvo_');
  });

  it('revokes a token; afterwards it no longer authenticates', async () => {
    const other = await newUser('tokenless');
    expect((await call('DELETE', `/auth/tokens/${tokenId}`, other.auth)).status).toBe(404);
    expect((await call('DELETE', `/auth/tokens/${tokenId}`, ADMIN)).status).toBe(204);
    expect((await call('DELETE', `/auth/tokens/${tokenId}`, ADMIN)).status).toBe(404);
    expect(await call('GET', '/me', `Bearer ${token}`)).toMatchObject({ status: 401, body: { error: { message: 'Invalid or expired token' } } });
  });

  it('rejects an expired token', async () => {
    const issued = await call('POST', '/auth/tokens', ADMIN, { ttlSeconds: 60 });
    await db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1) }).where('id', '=', issued.body.id).execute();
    expect((await call('GET', '/me', `Bearer ${issued.body.token}`)).status).toBe(401);
  });

  it('scopes a token to a project the caller can reach, 404 otherwise', async () => {
    const u = await newUser('scoper');
    expect((await call('POST', '/auth/tokens', u.auth, { projectId: 'demo' })).status).toBe(404);
    const scoped = await call('POST', '/auth/tokens', ADMIN, { projectId: 'demo' });
    expect(scoped.status).toBe(201);
    const me = await call('GET', '/me', `Bearer ${scoped.body.token}`);
    expect(me.body.projects.map((p: { id: string }) => p.id)).toEqual(['demo']);
  });

  it('rejects other auth schemes and malformed credentials', async () => {
    expect(await call('GET', '/me', 'Digest x')).toMatchObject({ status: 401, body: { error: { message: 'Unsupported authentication scheme' } } });
    expect((await call('GET', '/me', 'Basic ***')).status).toBe(401);
    expect((await call('GET', '/me')).headers.get('www-authenticate')).toContain('Bearer');
  });
});

describe('me', () => {
  it('changes my password: 401 for a wrong current one, 400 for a short one', async () => {
    const u = await newUser('pwchanger', 'first-pass');
    expect((await call('POST', '/me/password', u.auth, { currentPassword: 'nope', newPassword: 'second-pass' })).status).toBe(401);
    expect(await call('POST', '/me/password', u.auth, { currentPassword: 'first-pass', newPassword: 'abc' })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('newPassword') } },
    });
    expect((await call('POST', '/me/password', u.auth, { currentPassword: 'first-pass', newPassword: 'second-pass' })).status).toBe(204);
    expect((await call('GET', '/me', basic('pwchanger', 'second-pass'))).status).toBe(200);
    expect((await call('GET', '/me', u.auth)).status).toBe(401);
  });
});

describe('users (admin only)', () => {
  it('creates, lists, shows, updates and deletes users', async () => {
    const created = await call('POST', '/users', ADMIN, { username: 'alice', password: 'alice-pass', defaultProjectId: 'demo' });
    expect(created).toMatchObject({ status: 201, body: { username: 'alice', isAdmin: false, disabled: false, defaultProjectId: 'demo' } });
    const id = created.body.id;
    expect((await call('GET', '/users', ADMIN)).body.users.map((u: { username: string }) => u.username)).toContain('alice');
    expect(await call('GET', `/users/${id}`, ADMIN)).toMatchObject({ status: 200, body: { id, username: 'alice' } });

    expect(await call('PATCH', `/users/${id}`, ADMIN, { isAdmin: true, defaultProjectId: null })).toMatchObject({
      status: 200,
      body: { isAdmin: true, defaultProjectId: null },
    });
    expect((await call('PATCH', `/users/${id}`, ADMIN, { password: 'alice-new' })).status).toBe(200);
    expect((await call('GET', '/me', basic('alice', 'alice-new'))).status).toBe(200);

    const aliceToken = (await call('POST', '/auth/tokens', basic('alice', 'alice-new'))).body.token;
    expect((await call('PATCH', `/users/${id}`, ADMIN, { disabled: true })).body.disabled).toBe(true);
    expect((await call('GET', '/me', basic('alice', 'alice-new'))).status).toBe(401);
    expect((await call('GET', '/me', `Bearer ${aliceToken}`)).status).toBe(401);
    // Re-enabling does not bring back tokens held while disabled.
    await call('PATCH', `/users/${id}`, ADMIN, { disabled: false });
    expect((await call('GET', '/me', `Bearer ${aliceToken}`)).status).toBe(401);
    expect((await call('GET', '/me', basic('alice', 'alice-new'))).status).toBe(200);

    expect((await call('DELETE', `/users/${id}`, ADMIN)).status).toBe(204);
    expect((await call('GET', `/users/${id}`, ADMIN)).status).toBe(404);
    expect((await call('DELETE', `/users/${id}`, ADMIN)).status).toBe(404);
  });

  it('keeps admins from locking themselves out', async () => {
    const me = (await call('GET', '/me', ADMIN)).body.id;
    expect(await call('PATCH', `/users/${me}`, ADMIN, { disabled: true })).toMatchObject({ status: 400, body: { error: { details: [{ field: 'disabled' }] } } });
    expect((await call('PATCH', `/users/${me}`, ADMIN, { isAdmin: false })).status).toBe(400);
    expect((await call('DELETE', `/users/${me}`, ADMIN)).status).toBe(409);
  });

  it('is forbidden to non-admins and closed to strangers', async () => {
    const u = await newUser('plainuser');
    expect((await call('GET', '/users', u.auth)).status).toBe(403);
    expect((await call('POST', '/users', u.auth, { username: 'sneaky', password: 'sneaky-pass' })).status).toBe(403);
    expect((await call('PATCH', `/users/${u.id}`, u.auth, { isAdmin: true })).status).toBe(403);
    expect((await call('GET', '/users')).status).toBe(401);
    // Strangers learn nothing about validation either.
    expect((await call('POST', '/users', undefined, { username: '!!' })).status).toBe(401);
  });

  it('answers 409 for a duplicate username', async () => {
    expect(await call('POST', '/users', ADMIN, { username: 'admin', password: 'whatever' })).toMatchObject({
      status: 409,
      body: { error: { code: 'conflict' } },
    });
  });

  it.each([
    [{ username: 'A', password: 'long-enough' }, 'username'],
    [{ username: 'Bad Name', password: 'long-enough' }, 'username'],
    [{ username: '-leading', password: 'long-enough' }, 'username'],
    [{ username: 'x'.repeat(64), password: 'long-enough' }, 'username'],
    [{ password: 'long-enough' }, 'username'],
    [{ username: 'okname', password: 'abc' }, 'password'],
    [{ username: 'okname' }, 'password'],
    [{ username: 'okname', password: 12345678 }, 'password'],
    [{ username: 'okname', password: 'long-enough', isAdmin: 'yes' }, 'isAdmin'],
    [{ username: 'okname', password: 'long-enough', defaultProjectId: 'Bad_Project' }, 'defaultProjectId'],
    [{ username: 'okname', password: 'long-enough', defaultProjectId: 'missing-project' }, 'defaultProjectId'],
    [{ username: 'okname', password: 'long-enough', extra: 1 }, 'extra'],
  ])('POST /users %j → 400 naming %s', async (body, field) => {
    const res = await call('POST', '/users', ADMIN, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect(await db.selectFrom('users').select('id').where('username', '=', 'okname').executeTakeFirst()).toBeUndefined();
  });

  it.each([
    ['/users/not-a-uuid', 'GET', undefined, 'id'],
    ['/users/{self}', 'PATCH', { disabled: 'no' }, 'disabled'],
    ['/users/{self}', 'PATCH', { password: 'x' }, 'password'],
    ['/users/{self}', 'PATCH', { defaultProjectId: 'nope-project' }, 'defaultProjectId'],
  ])('%s %s %j → 400 naming %s', async (path, method, body, field) => {
    const self = (await call('GET', '/me', ADMIN)).body.id;
    const res = await call(method, path.replace('{self}', self), ADMIN, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await app.request('/v1/users', {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(res.status).toBe(400);
  });
});

describe('projects and members', () => {
  let owner: { id: string; auth: string };
  let manager: { id: string; auth: string };
  let member: { id: string; auth: string };
  let guest: { id: string; auth: string };
  let outsider: { id: string; auth: string };

  beforeAll(async () => {
    [owner, manager, member, guest, outsider] = await Promise.all(
      ['owner', 'manager1', 'member1', 'guest1', 'outsider'].map((n) => newUser(n)),
    );
  });

  it('a creator becomes admin of the new project; duplicates 409', async () => {
    const res = await call('POST', '/projects', owner.auth, { id: 'proj-a', name: 'Project A' });
    expect(res).toMatchObject({ status: 201, body: { id: 'proj-a', name: 'Project A', role: 'admin' } });
    expect((await call('POST', '/projects', outsider.auth, { id: 'proj-a' })).status).toBe(409);
    expect((await call('POST', '/projects', outsider.auth, { id: 'demo' })).status).toBe(409);
    expect((await call('POST', '/projects', outsider.auth, { id: 'proj-b' })).body).toMatchObject({ name: 'proj-b' });
  });

  it.each([
    [{ id: 'A' }, 'id'],
    [{ id: 'Has_Underscore' }, 'id'],
    [{ id: 'ok-id', name: '' }, 'name'],
    [{}, 'id'],
  ])('POST /projects %j → 400 naming %s', async (body, field) => {
    const res = await call('POST', '/projects', owner.auth, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it('managers add members; nobody grants above their own role', async () => {
    expect((await call('POST', '/projects/proj-a/members', owner.auth, { userId: manager.id, role: 'manager' })).status).toBe(201);
    expect(await call('POST', '/projects/proj-a/members', manager.auth, { username: 'member1', role: 'member' })).toMatchObject({
      status: 201,
      body: { userId: member.id, username: 'member1', role: 'member' },
    });
    expect((await call('POST', '/projects/proj-a/members', manager.auth, { username: 'guest1', role: 'admin' })).status).toBe(403);
    expect((await call('POST', '/projects/proj-a/members', manager.auth, { username: 'guest1', role: 'guest' })).status).toBe(201);
    expect((await call('POST', '/projects/proj-a/members', member.auth, { username: 'outsider', role: 'guest' })).status).toBe(403);
    expect((await call('POST', '/projects/proj-a/members', owner.auth, { username: 'member1', role: 'guest' })).status).toBe(409);
  });

  it.each([
    [{ role: 'member' }, 'userId'],
    [{ userId: 'x', role: 'member' }, 'userId'],
    [{ username: 'member1', role: 'boss' }, 'role'],
    [{ username: 'member1', userId: '00000000-0000-4000-8000-000000000000', role: 'guest' }, 'userId'],
    [{ username: 'no-such-user', role: 'guest' }, 'username'],
  ])('POST /projects/proj-a/members %j → 400 naming %s', async (body, field) => {
    const res = await call('POST', '/projects/proj-a/members', owner.auth, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it('members see their projects; outsiders get 404 for everything under it', async () => {
    expect((await call('GET', '/projects', member.auth)).body.projects).toMatchObject([{ id: 'proj-a', role: 'member' }]);
    expect((await call('GET', '/projects', outsider.auth)).body.projects.map((p: { id: string }) => p.id)).toEqual(['proj-b']);
    expect((await call('GET', '/projects/proj-a', guest.auth)).body).toMatchObject({ id: 'proj-a', role: 'guest' });
    expect((await call('GET', '/projects/proj-a/members', guest.auth)).body.members).toHaveLength(4);
    const notFound = { status: 404, body: { error: { message: 'Project not found' } } };
    expect(await call('GET', '/projects/proj-a', outsider.auth)).toMatchObject(notFound);
    expect(await call('GET', '/projects/proj-a/members', outsider.auth)).toMatchObject(notFound);
    expect(await call('POST', '/projects/proj-a/members', outsider.auth, { username: 'outsider', role: 'admin' })).toMatchObject(notFound);
    expect(await call('PATCH', `/projects/proj-a/members/${member.id}`, outsider.auth, { role: 'guest' })).toMatchObject(notFound);
    expect(await call('DELETE', `/projects/proj-a/members/${member.id}`, outsider.auth)).toMatchObject(notFound);
    expect(await call('DELETE', '/projects/proj-a', outsider.auth)).toMatchObject(notFound);
    // Same answer as a project that does not exist at all.
    expect(await call('GET', '/projects/no-such', outsider.auth)).toMatchObject(notFound);
    // Global admins reach every project.
    expect((await call('GET', '/projects/proj-a', ADMIN)).body.role).toBe('admin');
  });

  it('changes and removes members within the role rules', async () => {
    expect(await call('PATCH', `/projects/proj-a/members/${guest.id}`, manager.auth, { role: 'member' })).toMatchObject({
      status: 200,
      body: { role: 'member' },
    });
    expect((await call('PATCH', `/projects/proj-a/members/${guest.id}`, guest.auth, { role: 'manager' })).status).toBe(403);
    expect((await call('PATCH', `/projects/proj-a/members/${owner.id}`, manager.auth, { role: 'guest' })).status).toBe(403);
    expect((await call('PATCH', `/projects/proj-a/members/${guest.id}`, manager.auth, { role: 'admin' })).status).toBe(403);
    expect((await call('PATCH', `/projects/proj-a/members/${outsider.id}`, manager.auth, { role: 'guest' })).status).toBe(404);
    expect((await call('PATCH', `/projects/proj-a/members/${guest.id}`, manager.auth, { role: 'chief' })).status).toBe(400);
    expect((await call('PATCH', `/projects/proj-a/members/not-a-uuid`, manager.auth, { role: 'guest' })).status).toBe(400);
    // The last admin stays.
    expect((await call('PATCH', `/projects/proj-a/members/${owner.id}`, owner.auth, { role: 'member' })).status).toBe(409);
    expect((await call('DELETE', `/projects/proj-a/members/${owner.id}`, owner.auth)).status).toBe(409);
    expect((await call('DELETE', `/projects/proj-a/members/${guest.id}`, manager.auth)).status).toBe(204);
    expect((await call('GET', '/projects/proj-a', guest.auth)).status).toBe(404);
  });

  it('only project admins delete a project', async () => {
    expect((await call('DELETE', '/projects/proj-a', manager.auth)).status).toBe(403);
    expect((await call('DELETE', '/projects/proj-a', owner.auth)).status).toBe(204);
    expect((await call('GET', '/projects/proj-a', owner.auth)).status).toBe(404);
  });
});

describe('openapi', () => {
  it('documents every identity route', async () => {
    const doc = (app as OpenAPIHono).getOpenAPIDocument({ openapi: '3.0.0', info: { title: 't', version: '1' } });
    expect(Object.keys(doc.paths ?? {})).toEqual(
      expect.arrayContaining([
        '/v1/auth/tokens',
        '/v1/auth/tokens/{id}',
        '/v1/me',
        '/v1/users',
        '/v1/users/{id}',
        '/v1/projects',
        '/v1/projects/{id}',
        '/v1/projects/{id}/members',
        '/v1/projects/{id}/members/{userId}',
      ]),
    );
    expect(doc.components?.securitySchemes).toHaveProperty('bearerAuth');
  });
});

describe('secrets', () => {
  it('never answer with a password or hash, and show a token only when issued', async () => {
    const all = seen.join('\n');
    for (const secret of ['admin-pass', 'alice-pass', 'alice-new', 'first-pass', 'second-pass', 'scrypt$', 'password_hash', 'token_hash']) {
      expect(all).not.toContain(secret);
    }
    const issued = seen.filter((s) => s.includes('pvo_'));
    expect(issued.length).toBeGreaterThan(0);
    for (const s of issued) expect(JSON.parse(s)).toHaveProperty('token');
  });
});
