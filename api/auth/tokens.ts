import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/connection';
import type { TokenKind } from '../../db/identity';
import type { Principal } from './principal';

/** Every token starts with this, so secret scanners and humans recognise a Provisio token. */
export const TOKEN_PREFIX = 'pvo_';

/** Lifetime when the caller names none; `ttlSeconds: null` asks for a token that never expires. */
export const DEFAULT_TTL_SECONDS: Record<TokenKind, number> = {
  api: 90 * 24 * 3600,
  session: 12 * 3600,
  oauth_access: 3600,
  oauth_refresh: 30 * 24 * 3600,
};

// last_used_at is informational; writing it on every request would turn reads into writes.
const LAST_USED_RESOLUTION = '1 minute';

export interface IssueTokenInput {
  userId: string;
  kind: TokenKind;
  name?: string | null;
  projectId?: string | null;
  ttlSeconds?: number | null;
}

export interface IssuedToken {
  id: string;
  /** The secret; shown to the caller once, never stored. */
  token: string;
  expiresAt: Date | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueToken(db: Db, input: IssueTokenInput): Promise<IssuedToken> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const ttl = input.ttlSeconds === undefined ? DEFAULT_TTL_SECONDS[input.kind] : input.ttlSeconds;
  const expiresAt = ttl === null ? null : new Date(Date.now() + ttl * 1000);
  const row = await db
    .insertInto('api_tokens')
    .values({
      user_id: input.userId,
      token_hash: hashToken(token),
      kind: input.kind,
      name: input.name ?? null,
      project_id: input.projectId ?? null,
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token, expiresAt };
}

/** The caller behind a token of one of `kinds`, or null when it is unknown, expired, revoked or its user disabled. */
export async function verifyToken(db: Db, token: string, kinds: readonly TokenKind[]): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200 || kinds.length === 0) return null;
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as tokenId', 't.project_id', 't.last_used_at', 'u.id as userId', 'u.username', 'u.is_admin', 'u.default_project_id'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.kind', 'in', kinds)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .where('u.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return null;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: sql<Date>`now()` })
      .where('id', '=', row.tokenId)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - ${LAST_USED_RESOLUTION}::interval`)]),
      )
      .execute();
  }
  return {
    userId: row.userId,
    username: row.username,
    isAdmin: row.is_admin,
    defaultProjectId: row.default_project_id,
    tokenId: row.tokenId,
    tokenProjectId: row.project_id,
  };
}

/** Revokes one token; false when it does not exist or was already revoked. */
export async function revokeToken(db: Db, tokenId: string): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', tokenId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes every live token of a user (of one kind, or of `kinds`), optionally sparing one. Returns how many. */
export async function revokeUserTokens(
  db: Db,
  userId: string,
  kind?: TokenKind | readonly TokenKind[],
  options: { exceptTokenId?: string | null } = {},
): Promise<number> {
  const kinds = kind === undefined ? undefined : typeof kind === 'string' ? [kind] : kind;
  if (kinds?.length === 0) return 0;
  let query = db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (kinds) query = query.where('kind', 'in', kinds);
  if (options.exceptTokenId) query = query.where('id', '!=', options.exceptTokenId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
