import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { IdempotencyKeysTable, StoredAnswer } from '../db/operations';
import { recoverOperationStarts, type ClaimRef } from '../lib/operations';
import { currentLeaseId, isLeaseAlive } from '../lib/process-lease';
import { crashPoint } from '../lib/test-crash';
import type { AppDeps } from './deps';

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;
/**
 * A pending key of a process without a lease (one that cannot tell whether it is alive) older than
 * this belongs to a request that died mid-way; a repeat may take it over. Keys of API processes
 * (which hold a lease) are taken over as soon as their process is dead.
 */
const ABANDONED_AFTER_MS = 10 * 60_000;
/** Keys are remembered this long; older ones are swept now and then, so the table stays small. */
const REMEMBER_FOR_MS = 24 * 3600_000;
const SWEEP_PROBABILITY = 0.01;
const REPLAYED_HEADERS = ['content-type', 'location', 'operation-location'];
/** Answers that carry a fresh credential are never stored, so no token sits in the key table. */
const CREDENTIAL_ENDPOINTS = /\/(auth\/login|auth\/tokens|oauth\/token|auth\/password)$/;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

type KeyRow = Selectable<IdempotencyKeysTable>;

/** The claim a request holds on its Idempotency-Key, for the surfaces that record their answer with their operation. */
const claims = new WeakMap<Request, ClaimRef>();

/** The Idempotency-Key claim of this request, if it carries one (api/operations/recorded.ts records answers under it). */
export function claimOf(c: Context): ClaimRef | undefined {
  return claims.get(c.req.raw);
}

/** A response as the key table keeps it: status, the replayed headers, the body. */
export async function storedAnswer(res: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {};
  for (const h of REPLAYED_HEADERS) {
    const v = res.headers.get(h);
    if (v) headers[h] = v;
  }
  return { status: res.status, headers, body: await res.clone().text() };
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs; a repeat with the same key and
 * caller (even a concurrent one) gets the first answer and starts nothing new. The same key with a
 * different body is a client error.
 *
 * Crash safety: a claim names its owner, the API process (lib/process-lease.ts). A repeat that
 * finds a pending claim whose owner died takes it over at once: it settles the dead process's
 * operation starts first (lib/operations.ts), then either replays the answer recorded with the
 * operation (`recorded`: 202 with the operation link, committed with the operation itself) or, when
 * nothing was recorded, runs the request again (nothing was created). A 5xx before anything was
 * recorded is forgotten, so a retry can run; after, the recorded answer stands.
 */
export function idempotency(deps: AppDeps): MiddlewareHandler {
  const waitMs = deps.config.SYNC_WAIT_MS + 30_000;
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('idempotency-key');
    if (key === undefined || CREDENTIAL_ENDPOINTS.test(new URL(c.req.url).pathname)) return next();
    if (!KEY_PATTERN.test(key)) {
      return c.json({ error: 'invalid_request', message: 'Idempotency-Key: must be 1-255 characters of A-Z a-z 0-9 . _ : -' }, 400);
    }
    // The key is scoped to the caller's credentials and the target, so two callers never share answers.
    const credentials = [c.req.header('authorization'), c.req.header('cookie'), c.req.header('x-auth-token'), c.req.header('project-id')]
      .map((v) => v ?? '')
      .join('\n');
    const path = new URL(c.req.url).pathname;
    const scope = sha256(`${c.req.method} ${path}\n${credentials}`);
    const requestHash = await fingerprint(c.req.header('content-type') ?? '', await c.req.arrayBuffer());
    const me = currentLeaseId();

    const claimed = await deps.db
      .insertInto('idempotency_keys')
      .values({ scope, key, request_hash: requestHash, state: 'pending', owner: me, status: null, headers: null, body: null })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();

    if (claimed && Math.random() < SWEEP_PROBABILITY) {
      await deps.db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(Date.now() - REMEMBER_FOR_MS)).execute();
    }
    if (!claimed) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const row = await readKey(deps, scope, key);
        if (!row) return c.json({ error: 'conflict', message: 'Idempotency-Key: the first request with this key failed; retry' }, 409);
        if (row.request_hash !== requestHash) {
          return c.json({ error: 'invalid_request', message: 'Idempotency-Key: already used with a different request body' }, 422);
        }
        if (row.state === 'done') return replay(row);
        const taken = await takeOverIfAbandoned(deps, row, me);
        if (taken === 'owned') break;
        if (taken) return replay(taken);
        if (Date.now() > deadline) {
          // The first request still runs: its operation's answer when it has one, else a conflict.
          if (row.state === 'recorded') return replay(row);
          return c.json({ error: 'conflict', message: 'Idempotency-Key: the first request with this key is still in progress' }, 409);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const claim: ClaimRef = { scope, key, owner: me };
    claims.set(c.req.raw, claim);
    crashPoint('claimed', path);
    try {
      await next();
    } catch (err) {
      await settleFailed(deps, claim);
      throw err;
    }
    const res = c.res;
    if (res.status >= 500) {
      await settleFailed(deps, claim);
      return;
    }
    const answer = await storedAnswer(res);
    await deps.db
      .updateTable('idempotency_keys')
      .set({ state: 'done', status: answer.status, headers: JSON.stringify(answer.headers), body: answer.body })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where(sql<boolean>`owner is not distinct from ${me}`)
      .execute();
  };
}

function readKey(deps: AppDeps, scope: string, key: string): Promise<KeyRow | undefined> {
  return deps.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
}

function replay(row: Pick<KeyRow, 'status' | 'headers' | 'body'>): Response {
  const headers = new Headers(row.headers ?? {});
  headers.set('idempotent-replayed', 'true');
  return new Response(row.body, { status: row.status ?? 200, headers });
}

/**
 * Takes over a pending key whose request died: at once when its process is dead (its lease is
 * free), after ABANDONED_AFTER_MS when it had no lease. The dead process's operation starts are
 * settled first, so an operation it started is recorded, with its answer, before the key moves.
 * Returns 'owned' (run the request), a row to replay (its operation was recorded), or undefined
 * (not abandoned, or another repeat took it: look again).
 */
async function takeOverIfAbandoned(deps: AppDeps, row: KeyRow, me: number | null): Promise<'owned' | KeyRow | undefined> {
  let from: number | null;
  if (row.owner !== null) {
    if (row.owner === me || (await isLeaseAlive(deps.db, row.owner))) return undefined;
    await recoverOperationStarts(deps, { owner: row.owner });
    from = row.owner;
  } else {
    if (Date.now() - row.created_at.getTime() <= ABANDONED_AFTER_MS) return undefined;
    from = null;
  }
  // Guarded by the row: a recording transaction of the dead request that is still committing finishes first.
  const taken = await deps.db
    .updateTable('idempotency_keys')
    .set({ owner: me })
    .where('scope', '=', row.scope)
    .where('key', '=', row.key)
    .where('state', '!=', 'done')
    .where(sql<boolean>`owner is not distinct from ${from}`)
    .returningAll()
    .executeTakeFirst();
  if (!taken) return undefined;
  if (taken.state !== 'recorded') return 'owned';
  // Its operation was recorded: the recorded answer is the answer, from now on.
  await deps.db
    .updateTable('idempotency_keys')
    .set({ state: 'done' })
    .where('scope', '=', row.scope)
    .where('key', '=', row.key)
    .where(sql<boolean>`owner is not distinct from ${me}`)
    .execute();
  return taken;
}

/**
 * A request that failed (5xx, or threw): forgotten when nothing was recorded, so a retry can run;
 * once its operation was recorded, the recorded answer (the operation link) stands for it.
 */
async function settleFailed(deps: AppDeps, claim: ClaimRef): Promise<void> {
  const mine = (q: any) => q.where('scope', '=', claim.scope).where('key', '=', claim.key).where(sql<boolean>`owner is not distinct from ${claim.owner}`);
  await mine(deps.db.updateTable('idempotency_keys').set({ state: 'done' }).where('state', '=', 'recorded')).execute();
  await mine(deps.db.deleteFrom('idempotency_keys').where('state', '=', 'pending')).execute();
}

/**
 * What makes two requests "the same": the raw body, except for forms, whose multipart boundary
 * differs on every send — those compare by their sorted fields (files by name and content hash).
 */
async function fingerprint(contentType: string, body: ArrayBuffer): Promise<string> {
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(contentType)) return sha256(new Uint8Array(body));
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return sha256(new Uint8Array(body)); // malformed: the handler will reject it anyway
  }
  const fields: string[] = [];
  for (const [key, value] of form.entries()) {
    fields.push(
      typeof value === 'string'
        ? `${key}=${value}`
        : `${key}=file:${value.name}:${sha256(new Uint8Array(await value.arrayBuffer()))}`,
    );
  }
  return sha256(fields.sort().join('\n'));
}
