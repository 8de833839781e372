import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { anyPlatformAuth, sessionCookie } from '../auth/middleware';
import { SESSION_COOKIE } from '../compute/context';
import { projectRole } from '../auth/access';
import { ROLE_RANK } from '../auth/principal';
import type { AppDeps, AppEnv } from '../deps';
import { notFound, renderPlatformError, toHttpError, forbidden } from '../errors';
import { rejectInvalid } from '../validation';
import { viewOperation } from './view';

const Step = z.object({
  name: z.string(),
  state: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  detail: z.string().optional(),
});

export const OperationSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'unknown']),
    type: z.string().openapi({ example: 'startInstance' }),
    summary: z.string(),
    resource: z.object({ type: z.string(), id: z.string().openapi({ example: 'instance/42' }) }),
    projectId: z.string(),
    phase: z.string().nullable(),
    steps: z.array(Step),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    workflowId: z.string(),
    runId: z.string(),
    temporalUiUrl: z.string(),
  })
  .openapi('Operation');

const IdParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const getOperation = createRoute({
  method: 'get',
  path: '/operations/{id}',
  tags: ['operations'],
  summary: 'One operation: status, steps, error, timestamps and its Temporal Web UI link',
  request: { params: IdParam },
  responses: {
    200: { description: 'The operation', content: { 'application/json': { schema: OperationSchema } } },
    404: { description: 'Unknown operation, or one in a project the caller cannot see', content: { 'application/json': { schema: ErrorBody } } },
  },
});

const listOperations = createRoute({
  method: 'get',
  path: '/operations',
  tags: ['operations'],
  summary: "Operations of a resource (newest first), or of the caller's projects",
  request: {
    query: z.object({
      resource: z.string().regex(/^[a-z-]+\/[A-Za-z0-9._-]+$/, 'must look like <type>/<id>, e.g. instance/42').optional(),
      project: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: {
      description: 'Operations',
      content: { 'application/json': { schema: z.object({ operations: z.array(OperationSchema), limit: z.number(), offset: z.number() }) } },
    },
  },
});

const cancelOperation = createRoute({
  method: 'post',
  path: '/operations/{id}/cancel',
  tags: ['operations'],
  summary: 'Cancel a running operation; its compensations run and leave nothing behind',
  request: { params: IdParam },
  responses: {
    202: { description: 'Cancellation requested', content: { 'application/json': { schema: OperationSchema } } },
    404: { description: 'Unknown operation', content: { 'application/json': { schema: ErrorBody } } },
    409: { description: 'The operation already ended', content: { 'application/json': { schema: ErrorBody } } },
  },
});

export function operationRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalid });
  app.onError((err, c) => renderPlatformError(c, toHttpError(err)));
  const ui = { baseUrl: deps.config.TEMPORAL_UI_URL, namespace: deps.config.TEMPORAL_NAMESPACE };
  // Operation links reach every surface's users: platform credentials, or a Kahu session cookie.
  const platformAuth = anyPlatformAuth(deps);
  const kahuSession = sessionCookie(deps, SESSION_COOKIE);
  const auth: MiddlewareHandler<AppEnv> = (c, next) =>
    !c.req.header('authorization') && getCookie(c, SESSION_COOKIE) ? kahuSession(c, next) : platformAuth(c, next);
  app.use('/operations', auth);
  app.use('/operations/*', auth);

  /** An operation the caller may see; others look like they do not exist. */
  async function visibleOperation(principal: AppEnv['Variables']['principal'], id: string) {
    const row = await deps.db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Operation not found');
    const role = await projectRole(deps.db, principal, row.project_id);
    if (!role) throw notFound('Operation not found');
    return { row, role };
  }

  app.openapi(getOperation, async (c) => {
    const { row } = await visibleOperation(c.get('principal'), c.req.valid('param').id);
    return c.json(await viewOperation(deps.temporal, row, ui), 200);
  });

  app.openapi(listOperations, async (c) => {
    const { resource, project, limit, offset } = c.req.valid('query');
    const principal = c.get('principal');
    let q = deps.db.selectFrom('operations').selectAll();
    if (resource) q = q.where('resource_id', '=', resource);
    if (project) q = q.where('project_id', '=', project);
    if (!principal.isAdmin) {
      q = q.where(
        'project_id',
        'in',
        deps.db.selectFrom('memberships').select('project_id').where('user_id', '=', principal.userId),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy(sql`id`, 'desc').limit(limit).offset(offset).execute();
    const operations = await Promise.all(rows.map((r) => viewOperation(deps.temporal, r, ui)));
    return c.json({ operations, limit, offset }, 200);
  });

  app.openapi(cancelOperation, async (c) => {
    const { row, role } = await visibleOperation(c.get('principal'), c.req.valid('param').id);
    if (ROLE_RANK[role] < ROLE_RANK.member) throw forbidden('Guests cannot cancel operations');
    const before = await viewOperation(deps.temporal, row, ui);
    if (before.status !== 'running') {
      return c.json({ error: { code: 'conflict', message: `Operation already ${before.status}` } }, 409);
    }
    await deps.temporal.workflow.getHandle(row.workflow_id, row.run_id).cancel();
    deps.logger.info({ operationId: row.id, resource: row.resource_id }, 'operation cancellation requested');
    return c.json(await viewOperation(deps.temporal, row, ui), 202);
  });

  return app;
}
