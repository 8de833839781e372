import type { Db } from '../../db/connection';
import type { Role } from '../../db/identity';
import { conflict, HttpError, unauthorized } from '../errors';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../lib/passwords';
import { verifiedCredentials } from './credential-cache';
import { isUniqueViolation } from './pg-errors';
import type { Principal } from './principal';
import { revokeUserTokens } from './tokens';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}$/;
/** Short on purpose: dev setups use passwords like "admin"; deployments enforce more upstream if they wish. */
export const MIN_PASSWORD_LENGTH = 4;
/** scrypt cost does not depend on length, but megabyte "passwords" are not passwords. */
export const MAX_PASSWORD_LENGTH = 1024;

/** A 400 naming one field, shaped like zod validation errors (api/validation.ts). */
export function fieldError(field: string, problem: string): HttpError {
  return new HttpError(400, 'invalid_request', `${field}: ${problem}`, [{ field, problem }]);
}

export function checkPasswordPolicy(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw fieldError(field, `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw fieldError(field, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  isAdmin: boolean;
  disabled: boolean;
  defaultProjectId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const USER_COLUMNS = ['id', 'username', 'is_admin', 'disabled', 'default_project_id', 'created_at', 'updated_at'] as const;

export function toUserView(row: {
  id: string;
  username: string;
  is_admin: boolean;
  disabled: boolean;
  default_project_id: string | null;
  created_at: Date;
  updated_at: Date;
}): UserView {
  return {
    id: row.id,
    username: row.username,
    isAdmin: row.is_admin,
    disabled: row.disabled,
    defaultProjectId: row.default_project_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The caller behind a username and password, or null. Unknown and disabled users cost one
 * scrypt like everyone else, so response time does not reveal which usernames exist. An enabled
 * user's right password is remembered for a minute (credential-cache.ts): HTTP Basic checks it on
 * every request. The row is still read every time, so disable, delete and role changes apply at once.
 */
export async function authenticatePassword(db: Db, username: string, password: string): Promise<Principal | null> {
  const user =
    username.length <= 64 && password.length <= MAX_PASSWORD_LENGTH
      ? await db
          .selectFrom('users')
          .select(['id', 'username', 'password_hash', 'is_admin', 'default_project_id', 'disabled'])
          .where('username', '=', username)
          .executeTakeFirst()
      : undefined;
  const candidate = password.slice(0, MAX_PASSWORD_LENGTH);
  const ok =
    user && !user.disabled
      ? await verifiedCredentials.verify(candidate, user.password_hash)
      : await verifyPassword(candidate, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || !ok || user.disabled) return null;
  return { userId: user.id, username: user.username, isAdmin: user.is_admin, defaultProjectId: user.default_project_id, tokenId: null };
}

/** The caller for a user id (e.g. an OAuth grant), or null when the user is gone or disabled. */
export async function getPrincipal(db: Db, userId: string): Promise<Principal | null> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'username', 'is_admin', 'default_project_id'])
    .where('id', '=', userId)
    .where('disabled', '=', false)
    .executeTakeFirst();
  if (!user) return null;
  return { userId: user.id, username: user.username, isAdmin: user.is_admin, defaultProjectId: user.default_project_id, tokenId: null };
}

export interface CreateUserInput {
  username: string;
  password: string;
  isAdmin?: boolean;
  defaultProjectId?: string | null;
  /** Memberships to create with the user, in the same transaction. */
  memberships?: { projectId: string; role: Role }[];
}

/** Creates a user; 400 naming the field for a bad username/password/project, 409 for a taken username. */
export async function createUser(db: Db, input: CreateUserInput): Promise<UserView> {
  if (!USERNAME_PATTERN.test(input.username)) throw fieldError('username', `must match ${USERNAME_PATTERN.source}`);
  checkPasswordPolicy(input.password);
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    const wanted = [...new Set([input.defaultProjectId, ...(input.memberships ?? []).map((m) => m.projectId)])].filter(
      (p): p is string => !!p,
    );
    if (wanted.length) {
      const found = await trx.selectFrom('projects').select('id').where('id', 'in', wanted).execute();
      const missing = wanted.find((p) => !found.some((f) => f.id === p));
      if (missing) throw fieldError(missing === input.defaultProjectId ? 'defaultProjectId' : 'projectId', `project ${missing} does not exist`);
    }
    let row;
    try {
      row = await trx
        .insertInto('users')
        .values({
          username: input.username,
          password_hash: passwordHash,
          is_admin: input.isAdmin ?? false,
          default_project_id: input.defaultProjectId ?? null,
        })
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`User ${input.username} already exists`, [{ field: 'username', problem: 'already exists' }]);
      throw err;
    }
    for (const m of input.memberships ?? []) {
      await trx.insertInto('memberships').values({ user_id: row.id, project_id: m.projectId, role: m.role }).execute();
    }
    return toUserView(row);
  });
}

/** Replaces a user's password and ends their sessions and OAuth grants (API tokens stay: they are deliberate). */
export async function setPassword(db: Db, userId: string, next: string, options: { keepTokenId?: string | null } = {}): Promise<void> {
  checkPasswordPolicy(next);
  const passwordHash = await hashPassword(next);
  await db.updateTable('users').set({ password_hash: passwordHash, updated_at: new Date() }).where('id', '=', userId).execute();
  await revokeUserTokens(db, userId, ['session', 'oauth_access', 'oauth_refresh'], { exceptTokenId: options.keepTokenId });
}

/** Self-service password change: 401 for a wrong current password, 400 for a weak new one. */
export async function changePassword(
  db: Db,
  userId: string,
  current: string,
  next: string,
  options: { keepTokenId?: string | null } = {},
): Promise<void> {
  const user = await db.selectFrom('users').select(['password_hash', 'disabled']).where('id', '=', userId).executeTakeFirst();
  const ok = await verifyPassword(current.slice(0, MAX_PASSWORD_LENGTH), user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || user.disabled || !ok) throw unauthorized('Current password is incorrect');
  checkPasswordPolicy(next, 'newPassword');
  await setPassword(db, userId, next, options);
}
