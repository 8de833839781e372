import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Db } from '../../db/connection';
import { loadConfig } from '../../lib/config';
import type { AppDeps, AppEnv } from '../../api/deps';
import { renderPlatformError, toHttpError } from '../../api/errors';
import { projectRole, requireProjectAccess, listAccessibleProjects } from '../../api/auth/access';
import { bootstrapIdentity } from '../../db/seeds/identity';
import {
  anyPlatformAuth,
  authTokenHeader,
  basicAuth,
  bearerAuth,
  parseAuthorization,
  sessionCookie,
} from '../../api/auth/middleware';
import { hashPassword, verifyPassword } from '../../lib/passwords';
import { hashToken, issueToken, revokeToken, revokeUserTokens, verifyToken } from '../../api/auth/tokens';
import { authenticatePassword, changePassword, createUser, getPrincipal } from '../../api/auth/users';
import { createMigratedDb } from '../support/database';

/** Identity building blocks against a real Postgres: passwords, tokens, access, middleware, bootstrap. */

let db: Db;
let drop: () => Promise<void>;
let deps: AppDeps;

beforeAll(async () => {
  ({ db, drop } = await createMigratedDb('provisio_identity_auth'));
  deps = { db, config: loadConfig({}), logger: pino({ level: 'silent' }), temporal: undefined as any, cloud: undefined as any };
  await bootstrapIdentity(db, deps.config);
});
afterAll(async () => drop?.());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('treats a malformed or hostile stored hash as a mismatch', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
  });
});

describe('bootstrap', () => {
  it('creates demo and admin once, admin of demo, with the dev password', async () => {
    expect(await bootstrapIdentity(db, deps.config)).toEqual({ adminCreated: false });
    const admin = await authenticatePassword(db, 'admin', 'admin');
    expect(admin).toMatchObject({ username: 'admin', isAdmin: true, defaultProjectId: 'demo' });
    const membership = await db.selectFrom('memberships').selectAll().where('user_id', '=', admin!.userId).execute();
    expect(membership).toMatchObject([{ project_id: 'demo', role: 'admin' }]);
  });

  it('refuses production without ADMIN_PASSWORD', async () => {
    const config = { ...loadConfig({}), PROVISIO_ENV: 'production' as const };
    await expect(bootstrapIdentity(db, config)).rejects.toThrow(/ADMIN_PASSWORD/);
  });
});

describe('users', () => {
  it('authenticates only the right password of an enabled user', async () => {
    const user = await createUser(db, { username: 'carol', password: 'carol-pass' });
    expect(user).not.toHaveProperty('password_hash');
    expect(await authenticatePassword(db, 'carol', 'carol-pass')).toMatchObject({ userId: user.id, isAdmin: false });
    expect(await authenticatePassword(db, 'carol', 'wrong')).toBeNull();
    expect(await authenticatePassword(db, 'nobody', 'carol-pass')).toBeNull();
    await db.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute();
    expect(await authenticatePassword(db, 'carol', 'carol-pass')).toBeNull();
    expect(await getPrincipal(db, user.id)).toBeNull();
  });

  it('changes a password: 401 for a wrong current one, 400 for a short one, sessions end', async () => {
    const user = await createUser(db, { username: 'dave', password: 'dave-pass' });
    const session = await issueToken(db, { userId: user.id, kind: 'session' });
    const api = await issueToken(db, { userId: user.id, kind: 'api' });
    await expect(changePassword(db, user.id, 'nope', 'new-pass')).rejects.toMatchObject({ status: 401 });
    await expect(changePassword(db, user.id, 'dave-pass', 'abc')).rejects.toMatchObject({ status: 400, message: /newPassword/ });
    await changePassword(db, user.id, 'dave-pass', 'new-pass');
    expect(await authenticatePassword(db, 'dave', 'new-pass')).not.toBeNull();
    expect(await authenticatePassword(db, 'dave', 'dave-pass')).toBeNull();
    expect(await verifyToken(db, session.token, ['session'])).toBeNull();
    expect(await verifyToken(db, api.token, ['api'])).not.toBeNull();
  });

  it('rejects duplicate usernames with 409 and bad ones with 400', async () => {
    await expect(createUser(db, { username: 'admin', password: 'whatever' })).rejects.toMatchObject({ status: 409 });
    await expect(createUser(db, { username: 'Bad Name', password: 'whatever' })).rejects.toMatchObject({ status: 400, message: /username/ });
  });
});

describe('tokens', () => {
  it('issues a prefixed token, stores only its sha256, and resolves the principal', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const issued = await issueToken(db, { userId: admin.userId, kind: 'api', name: 'ci' });
    expect(issued.token).toMatch(/^pvo_[\w-]{43}$/);
    const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(issued.token));
    expect(JSON.stringify(row)).not.toContain(issued.token);
    expect(await verifyToken(db, issued.token, ['api'])).toMatchObject({ userId: admin.userId, tokenId: issued.id, isAdmin: true });
    expect(await verifyToken(db, issued.token, ['session'])).toBeNull();
    expect(await verifyToken(db, issued.token + 'x', ['api'])).toBeNull();
    expect(await verifyToken(db, 'garbage', ['api'])).toBeNull();
  });

  it('updates last_used_at at most once a minute', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const issued = await issueToken(db, { userId: admin.userId, kind: 'api' });
    const lastUsed = async () =>
      (await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', issued.id).executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();
    await verifyToken(db, issued.token, ['api']);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await verifyToken(db, issued.token, ['api']);
    expect((await lastUsed())!.getTime()).toBe(first!.getTime());
  });

  it('rejects expired, revoked and disabled-user tokens', async () => {
    const user = await createUser(db, { username: 'erin', password: 'erin-pass' });
    const expired = await issueToken(db, { userId: user.id, kind: 'api', ttlSeconds: 60 });
    await db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expired.id).execute();
    expect(await verifyToken(db, expired.token, ['api'])).toBeNull();

    const revoked = await issueToken(db, { userId: user.id, kind: 'api' });
    expect(await revokeToken(db, revoked.id)).toBe(true);
    expect(await revokeToken(db, revoked.id)).toBe(false);
    expect(await verifyToken(db, revoked.token, ['api'])).toBeNull();

    const forever = await issueToken(db, { userId: user.id, kind: 'api', ttlSeconds: null });
    expect(forever.expiresAt).toBeNull();
    expect(await verifyToken(db, forever.token, ['api'])).not.toBeNull();
    await db.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute();
    expect(await verifyToken(db, forever.token, ['api'])).toBeNull();
  });

  it('revokes all of a user’s tokens, or one kind', async () => {
    const user = await createUser(db, { username: 'frank', password: 'frank-pass' });
    const api = await issueToken(db, { userId: user.id, kind: 'api' });
    const s1 = await issueToken(db, { userId: user.id, kind: 'session' });
    const s2 = await issueToken(db, { userId: user.id, kind: 'session' });
    expect(await revokeUserTokens(db, user.id, 'session')).toBe(2);
    expect(await verifyToken(db, s1.token, ['session'])).toBeNull();
    expect(await verifyToken(db, s2.token, ['session'])).toBeNull();
    expect(await verifyToken(db, api.token, ['api'])).not.toBeNull();
    expect(await revokeUserTokens(db, user.id)).toBe(1);
    expect(await verifyToken(db, api.token, ['api'])).toBeNull();
  });
});

describe('project access', () => {
  it('maps memberships to roles, admins everywhere, others 404, low roles 403', async () => {
    await db.insertInto('projects').values([{ id: 'alpha', name: 'Alpha' }, { id: 'beta', name: 'Beta' }]).execute();
    const guest = await createUser(db, { username: 'gina', password: 'gina-pass', memberships: [{ projectId: 'alpha', role: 'guest' }] });
    const gina = (await getPrincipal(db, guest.id))!;
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    expect(await projectRole(db, gina, 'alpha')).toBe('guest');
    expect(await projectRole(db, gina, 'beta')).toBeNull();
    expect(await projectRole(db, admin, 'beta')).toBe('admin');
    expect(await projectRole(db, admin, 'no-such')).toBeNull();
    await expect(requireProjectAccess(db, gina, 'alpha', 'guest')).resolves.toBe('guest');
    await expect(requireProjectAccess(db, gina, 'alpha', 'member')).rejects.toMatchObject({ status: 403 });
    await expect(requireProjectAccess(db, gina, 'beta', 'guest')).rejects.toMatchObject({ status: 404, message: 'Project not found' });
    expect((await listAccessibleProjects(db, gina)).map((p) => p.id)).toEqual(['alpha']);
    expect((await listAccessibleProjects(db, admin)).map((p) => p.id)).toEqual(expect.arrayContaining(['alpha', 'beta', 'demo']));
  });

  it('confines a project-scoped token to its project, even for an admin', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const scoped = await issueToken(db, { userId: admin.userId, kind: 'api', projectId: 'alpha' });
    const p = (await verifyToken(db, scoped.token, ['api']))!;
    expect(await projectRole(db, p, 'alpha')).toBe('admin');
    expect(await projectRole(db, p, 'beta')).toBeNull();
    expect((await listAccessibleProjects(db, p)).map((x) => x.id)).toEqual(['alpha']);
  });
});

describe('middleware', () => {
  function appWith(mw: ReturnType<typeof basicAuth>) {
    const app = new Hono<AppEnv>();
    app.onError((err, c) => renderPlatformError(c, toHttpError(err)));
    app.use('*', mw);
    app.get('/who', (c) => c.json({ username: c.get('principal').username, tokenId: c.get('principal').tokenId }));
    return app;
  }
  const who = (app: Hono<AppEnv>, headers: Record<string, string> = {}) => app.request('/who', { headers });
  const body = async (res: Response) => ({ status: res.status, ...((await res.json()) as object) });

  it('parses Authorization headers', () => {
    expect(parseAuthorization(undefined)).toEqual({ scheme: 'none' });
    expect(parseAuthorization(basic('a', 'b:c'))).toEqual({ scheme: 'basic', username: 'a', password: 'b:c' });
    expect(parseAuthorization('bearer abc')).toEqual({ scheme: 'bearer', token: 'abc' });
    expect(parseAuthorization('Digest x=1')).toEqual({ scheme: 'other', name: 'Digest' });
    expect(parseAuthorization('Basic !!!')).toMatchObject({ scheme: 'malformed' });
  });

  it('basicAuth: missing 401, other scheme 401, wrong password 401, right one passes', async () => {
    const app = appWith(basicAuth(deps));
    const missing = await who(app);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await body(missing)).toMatchObject({ status: 401, error: { message: 'Authentication required' } });
    expect(await body(await who(app, { authorization: 'Bearer pvo_x' }))).toMatchObject({
      status: 401,
      error: { message: 'Unsupported authentication scheme' },
    });
    expect((await who(app, { authorization: basic('admin', 'nope') })).status).toBe(401);
    expect(await body(await who(app, { authorization: basic('admin', 'admin') }))).toMatchObject({ status: 200, username: 'admin', tokenId: null });
  });

  it('bearerAuth accepts API and OAuth access tokens, not sessions', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const app = appWith(bearerAuth(deps));
    const api = await issueToken(db, { userId: admin.userId, kind: 'api' });
    const oauth = await issueToken(db, { userId: admin.userId, kind: 'oauth_access' });
    const session = await issueToken(db, { userId: admin.userId, kind: 'session' });
    expect(await body(await who(app, { authorization: `Bearer ${api.token}` }))).toMatchObject({ status: 200, tokenId: api.id });
    expect((await who(app, { authorization: `Bearer ${oauth.token}` })).status).toBe(200);
    expect(await body(await who(app, { authorization: `Bearer ${session.token}` }))).toMatchObject({
      status: 401,
      error: { message: 'Invalid or expired token' },
    });
    expect((await who(app, { authorization: basic('admin', 'admin') })).status).toBe(401);
  });

  it('authTokenHeader and sessionCookie read their own places', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const api = await issueToken(db, { userId: admin.userId, kind: 'api' });
    const session = await issueToken(db, { userId: admin.userId, kind: 'session' });

    const header = appWith(authTokenHeader(deps));
    expect((await who(header, { 'X-Auth-Token': api.token })).status).toBe(200);
    expect((await who(header, { 'X-Auth-Token': session.token })).status).toBe(200);
    expect(await body(await who(header))).toMatchObject({ status: 401, error: { message: 'Authentication required' } });
    expect((await who(header, { 'X-Auth-Token': 'pvo_wrong' })).status).toBe(401);

    const custom = appWith(authTokenHeader(deps, 'x-subject-token', { messages: { missing: 'No token' } }));
    expect((await who(custom, { 'x-subject-token': api.token })).status).toBe(200);
    expect(await body(await who(custom))).toMatchObject({ error: { message: 'No token' } });

    const cookie = appWith(sessionCookie(deps, 'sid'));
    expect((await who(cookie, { cookie: `sid=${session.token}` })).status).toBe(200);
    expect((await who(cookie, { cookie: `sid=${api.token}` })).status).toBe(401);
    expect((await who(cookie)).status).toBe(401);
  });

  it('anyPlatformAuth takes Bearer or Basic', async () => {
    const admin = (await authenticatePassword(db, 'admin', 'admin'))!;
    const api = await issueToken(db, { userId: admin.userId, kind: 'api' });
    const app = appWith(anyPlatformAuth(deps));
    expect((await who(app, { authorization: `Bearer ${api.token}` })).status).toBe(200);
    expect((await who(app, { authorization: basic('admin', 'admin') })).status).toBe(200);
    const res = await who(app, { authorization: 'Negotiate abc' });
    expect(await body(res)).toMatchObject({ status: 401, error: { message: 'Unsupported authentication scheme' } });
  });
});
