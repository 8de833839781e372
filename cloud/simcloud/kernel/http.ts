import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CloudErrorCode } from '../../contract';
import type { Faults } from '../chaos/faults';
import type { FaultResource } from '../chaos/schema';
import { invalid, SimError, statusForCode } from './errors';

export type Env = { Bindings: Partial<HttpBindings> };
export type SimContext = Context<Env>;
export type Handler = (c: SimContext) => Promise<Response> | Response;
export type SimApp = Hono<Env>;
/** The region a request concerns (for region-targeted faults); null when none. */
export type RegionOf = (c: SimContext) => string | null | undefined | Promise<string | null | undefined>;
/** Wraps a route with its operation name (the client method's), so fault rules can target it. */
export type Op = (operation: string, resource: FaultResource, handler: Handler, regionOf?: RegionOf) => Handler;

/** Validates a body or query; failures read '<field>: <problem>' (400 invalid). */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw invalid(`${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
}

/** The JSON body; an empty body counts as {} so `POST /vms/x/stop` needs none. Hono caches it, so it can be read twice. */
export async function body(c: SimContext): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('body: malformed JSON');
  }
}

/** A string field of the body, for working out a request's region before the handler validates it. */
export async function bodyString(c: SimContext, field: string): Promise<string | undefined> {
  const b = await body(c).catch(() => null);
  const value = b && typeof b === 'object' ? (b as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Route params are typed optional on a generic Context; every route using pid has ':id'. */
export const pid = (c: SimContext) => c.req.param('id') ?? '';

export const noContent = (c: SimContext) => c.body(null, 204);

const codeForStatus = (status: number): CloudErrorCode =>
  status === 404 ? 'not_found' : status === 409 ? 'conflict' : status === 401 || status === 403 ? 'unauthorized' : status >= 500 ? 'unavailable' : 'invalid';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createOp(faults: Faults, logger: Logger): Op {
  return (operation, resource, handler, regionOf) => async (c) => {
    // Working out the region costs a lookup (or a body read): only when some rule needs it.
    const region = faults.anyRegional && regionOf ? ((await (async () => regionOf(c))().catch(() => null)) ?? null) : null;
    const rule = faults.draw(operation, resource, region);
    if (!rule) return handler(c);
    logger.debug({ operation, region, rule: rule.id, mode: rule.mode }, 'simcloud: injecting fault');
    if (rule.latencyMs) await sleep(rule.latencyMs);
    if (rule.mode === 'latency') return handler(c);
    const fault = { error: { code: rule.code ?? codeForStatus(rule.status), message: `injected fault (${rule.id}) on ${operation}` } };
    if (rule.mode === 'error') return c.json(fault, rule.status as 503);
    // lost_response: the work is done and persisted, then the reply never arrives.
    await handler(c);
    c.env?.incoming?.socket?.destroy();
    return c.json(fault, 502);
  };
}

/** Typed errors become `{error:{code,message}}`; anything else is logged and answered 500. */
export function installErrorHandlers(app: SimApp, logger: Logger): void {
  app.onError((err, c) => {
    if (err instanceof SimError) return c.json({ error: { code: err.code, message: err.message } }, statusForCode[err.code]);
    if (err instanceof HTTPException) return err.getResponse();
    logger.error({ err, path: c.req.path }, 'simcloud: unexpected error');
    return c.json({ error: { code: 'unavailable', message: 'internal error' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
}
