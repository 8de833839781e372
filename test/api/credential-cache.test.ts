import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Db } from '../../db/connection';
import { loadConfig } from '../../lib/config';
import { hashPassword } from '../../lib/passwords';
import type { AppDeps } from '../../api/deps';
import { identityRoutes } from '../../api/identity';
import { verifiedCredentials, VerifiedCredentials } from '../../api/auth/credential-cache';
import { bootstrapIdentity } from '../../db/seeds/identity';
import { createMigratedDb } from '../support/database';

/**
 * The cache of verified HTTP Basic credentials: a remembered credential stops working the moment
 * its password changes or its user is disabled, deleted or demoted; wrong passwords are never
 * remembered; the cache stays bounded.
 */

let db: Db;
let drop: () => Promise<void>;
let app: OpenAPIHono;

beforeAll(async () => {
  ({ db, drop } = await createMigratedDb('provisio_credential_cache'));
  const deps: AppDeps = { db, config: loadConfig({}), logger: pino({ level: 'silent' }), temporal: undefined as any, cloud: undefined as any };
  await bootstrapIdentity(db, deps.config);
  app = new OpenAPIHono().route('/v1', identityRoutes(deps));
});
afterAll(async () => drop?.());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin');

async function call(method: string, path: string, auth: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(`/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.status;
}

async function newUser(username: string, password: string, isAdmin = false): Promise<string> {
  const res = await app.request('/v1/users', {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, isAdmin }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const storedHash = async (userId: string) =>
  (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash;

/** A user whose Basic credential has been verified once, so the next request is answered from the cache. */
async function cachedUser(username: string, password: string, isAdmin = false) {
  const id = await newUser(username, password, isAdmin);
  expect(await call('GET', '/me', basic(username, password))).toBe(200);
  expect(verifiedCredentials.has(password, await storedHash(id))).toBe(true);
  return id;
}

describe('HTTP Basic with remembered credentials', () => {
  it('rejects a remembered credential after an admin resets the password', async () => {
    const id = await cachedUser('reset-me', 'old-pass-1');
    expect(await call('PATCH', `/users/${id}`, ADMIN, { password: 'new-pass-1' })).toBe(200);
    expect(await call('GET', '/me', basic('reset-me', 'old-pass-1'))).toBe(401);
    expect(await call('GET', '/me', basic('reset-me', 'new-pass-1'))).toBe(200);
  });

  it('rejects a remembered credential after the user changes their own password', async () => {
    await cachedUser('self-change', 'old-pass-2');
    expect(await call('POST', '/me/password', basic('self-change', 'old-pass-2'), { currentPassword: 'old-pass-2', newPassword: 'new-pass-2' })).toBe(204);
    expect(await call('GET', '/me', basic('self-change', 'old-pass-2'))).toBe(401);
    expect(await call('GET', '/me', basic('self-change', 'new-pass-2'))).toBe(200);
  });

  it('rejects a remembered credential of a disabled user, even while it is still remembered', async () => {
    const id = await cachedUser('disable-me', 'pass-3');
    expect(await call('PATCH', `/users/${id}`, ADMIN, { disabled: true })).toBe(200);
    expect(verifiedCredentials.has('pass-3', await storedHash(id))).toBe(true);
    expect(await call('GET', '/me', basic('disable-me', 'pass-3'))).toBe(401);
  });

  it('rejects a remembered credential when another process disabled the user (straight in the database)', async () => {
    const id = await cachedUser('disabled-elsewhere', 'pass-4');
    await db.updateTable('users').set({ disabled: true }).where('id', '=', id).execute();
    expect(await call('GET', '/me', basic('disabled-elsewhere', 'pass-4'))).toBe(401);
  });

  it('rejects a remembered credential of a deleted user, and drops admin rights at once on demotion', async () => {
    const deleted = await cachedUser('delete-me', 'pass-5');
    expect(await call('DELETE', `/users/${deleted}`, ADMIN)).toBe(204);
    expect(await call('GET', '/me', basic('delete-me', 'pass-5'))).toBe(401);

    const demoted = await cachedUser('demote-me', 'pass-6', true);
    expect(await call('GET', '/users', basic('demote-me', 'pass-6'))).toBe(200);
    expect(await call('PATCH', `/users/${demoted}`, ADMIN, { isAdmin: false })).toBe(200);
    expect(await call('GET', '/users', basic('demote-me', 'pass-6'))).toBe(403);
  });

  it('never accepts or remembers a wrong password, also next to a remembered right one', async () => {
    const id = await cachedUser('wrong-pass', 'right-pass');
    for (const wrong of ['wrong-pass', 'right-pass ', 'Right-pass', '']) {
      expect(await call('GET', '/me', basic('wrong-pass', wrong))).toBe(401);
      expect(await call('GET', '/me', basic('wrong-pass', wrong))).toBe(401);
      expect(verifiedCredentials.has(wrong, await storedHash(id))).toBe(false);
    }
    // The right password of one user is not a key to another's account.
    await newUser('other-user', 'other-pass');
    expect(await call('GET', '/me', basic('other-user', 'right-pass'))).toBe(401);
  });
});

describe('VerifiedCredentials', () => {
  it('remembers only passwords that verify', async () => {
    const cache = new VerifiedCredentials();
    const hash = await hashPassword('s3cret');
    expect(await cache.verify('nope', hash)).toBe(false);
    expect(cache.size).toBe(0);
    expect(await cache.verify('s3cret', hash)).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.has('s3cret', hash)).toBe(true);
    expect(cache.has('s3cret', await hashPassword('s3cret'))).toBe(false); // same password, another hash (a change)
  });

  it('forgets an entry after its TTL', () => {
    let now = 0;
    const cache = new VerifiedCredentials({ ttlMs: 60_000, now: () => now });
    cache.remember('pw', 'hash');
    now = 59_999;
    expect(cache.has('pw', 'hash')).toBe(true);
    now = 60_000;
    expect(cache.has('pw', 'hash')).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('stays bounded, dropping the least recently used entry first', () => {
    const cache = new VerifiedCredentials({ maxEntries: 3 });
    for (let i = 0; i < 1000; i++) cache.remember(`pw-${i}`, `hash-${i}`);
    expect(cache.size).toBe(3);
    expect([0, 996, 997, 998, 999].map((i) => cache.has(`pw-${i}`, `hash-${i}`))).toEqual([false, false, true, true, true]);

    const lru = new VerifiedCredentials({ maxEntries: 3 });
    for (let i = 0; i < 3; i++) lru.remember(`pw-${i}`, `hash-${i}`);
    expect(lru.has('pw-0', 'hash-0')).toBe(true); // now the most recently used
    lru.remember('pw-3', 'hash-3');
    expect([0, 1, 2, 3].map((i) => lru.has(`pw-${i}`, `hash-${i}`))).toEqual([true, false, true, true]);
  });
});
