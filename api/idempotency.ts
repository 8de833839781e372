import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps } from './deps';

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;
/** A pending key older than this belongs to a request that died mid-way; a repeat may take it over. */
const ABANDONED_AFTER_MS = 10 * 60_000;
/** Keys are remembered this long; older ones are swept now and then, so the table stays small. */
const REMEMBER_FOR_MS = 24 * 3600_000;
const SWEEP_PROBABILITY = 0.01;
const REPLAYED_HEADERS = ['content-type', 'location'];
/** Answers that carry a fresh credential are never stored, so no token sits in the key table. */
const CREDENTIAL_ENDPOINTS = /\/(auth\/login|auth\/tokens|oauth\/token|auth\/password)$/;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * `Idempotency-Key` on POST: the first request with a key runs; a repeat with the same key and
 * caller (even a concurrent one) gets the first answer and starts nothing new. The same key with a
 * different body is a client error. Failed (5xx) answers are not remembered, so a retry can run.
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
    const scope = sha256(`${c.req.method} ${new URL(c.req.url).pathname}\n${credentials}`);
    const requestHash = await fingerprint(c.req.header('content-type') ?? '', await c.req.arrayBuffer());

    const claimed = await deps.db
      .insertInto('idempotency_keys')
      .values({ scope, key, request_hash: requestHash, state: 'pending', status: null, headers: null, body: null })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();

    if (claimed && Math.random() < SWEEP_PROBABILITY) {
      await deps.db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(Date.now() - REMEMBER_FOR_MS)).execute();
    }
    if (!claimed) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const row = await deps.db
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('scope', '=', scope)
          .where('key', '=', key)
          .executeTakeFirst();
        if (!row) return c.json({ error: 'conflict', message: 'Idempotency-Key: the first request with this key failed; retry' }, 409);
        if (row.request_hash !== requestHash) {
          return c.json({ error: 'invalid_request', message: 'Idempotency-Key: already used with a different request body' }, 422);
        }
        if (row.state === 'done') {
          const headers = new Headers(row.headers ?? {});
          headers.set('idempotent-replayed', 'true');
          return new Response(row.body, { status: row.status ?? 200, headers });
        }
        if (Date.now() - row.created_at.getTime() > ABANDONED_AFTER_MS) break; // take over an abandoned key
        if (Date.now() > deadline) {
          return c.json({ error: 'conflict', message: 'Idempotency-Key: the first request with this key is still in progress' }, 409);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    try {
      await next();
    } catch (err) {
      await forget(deps, scope, key);
      throw err;
    }
    const res = c.res;
    if (res.status >= 500) {
      await forget(deps, scope, key);
      return;
    }
    const text = await res.clone().text();
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = res.headers.get(h);
      if (v) headers[h] = v;
    }
    await deps.db
      .updateTable('idempotency_keys')
      .set({ state: 'done', status: res.status, headers: JSON.stringify(headers), body: text })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .execute();
  };
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

async function forget(deps: AppDeps, scope: string, key: string) {
  await deps.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute();
}
