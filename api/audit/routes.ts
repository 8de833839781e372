import { createRoute, z } from '@hono/zod-openapi';
import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../../db/audit';
import { PROJECT_ID_PATTERN, requireProjectAccess } from '../auth/access';
import { anyPlatformAuth } from '../auth/middleware';
import type { Principal } from '../auth/principal';
import { errorResponses, jsonResponse, newIdentityApp, PLATFORM_SECURITY } from '../auth/route-helpers';
import type { AppDeps } from '../deps';
import { badRequest, forbidden, renderPlatformError, toHttpError } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';

const OUTCOMES = 'success (status < 400), failure (≥ 400), or one status code such as 409';

const AuditQuery = z.object({
  project: z.string().regex(PROJECT_ID_PATTERN, 'must be a project id').optional(),
  user: z.string().min(1).max(100).optional().openapi({ description: 'Username or user id' }),
  resource: z.string().min(1).max(2000).optional().openapi({ example: 'instance/42' }),
  action: z
    .string()
    .regex(/^(POST|PUT|PATCH|DELETE)( \/\S*)?$/, 'must be a method, or a method and a route template such as "POST /v0/compute/instance/:n/start"')
    .optional(),
  outcome: z.string().regex(/^(success|failure|[1-5]\d\d)$/, `must be ${OUTCOMES}`).optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Entries at or after this time' }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Entries before this time' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional().openapi({ description: 'nextCursor of the previous page' }),
});

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    occurredAt: z.string(),
    requestId: z.string(),
    user: z.object({ id: z.string().nullable(), username: z.string().nullable() }).nullable(),
    tokenId: z.string().nullable(),
    projectId: z.string().nullable(),
    action: z.string().openapi({ example: 'POST /v0/compute/instance/:n/start' }),
    method: z.string(),
    route: z.string(),
    path: z.string(),
    resource: z.string().nullable(),
    operation: z.object({ id: z.string(), link: z.string() }).nullable(),
    status: z.number().int(),
    outcome: z.enum(['success', 'failure']),
    durationMs: z.number().int(),
  })
  .openapi('AuditEntry');

const listAudit = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['audit'],
  security: PLATFORM_SECURITY,
  summary: 'The audit log, newest first: every mutation on every surface (global admins; managers see their projects)',
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse(z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }), 'One page of entries'),
    ...errorResponses(400, 401, 403, 404),
  },
});

export function auditEntryView(row: Selectable<AuditLogTable>): z.infer<typeof AuditEntrySchema> {
  return {
    id: String(row.id),
    occurredAt: row.occurred_at.toISOString(),
    requestId: row.request_id,
    user: row.user_id || row.username ? { id: row.user_id, username: row.username } : null,
    tokenId: row.token_id,
    projectId: row.project_id,
    action: `${row.method} ${row.route}`,
    method: row.method,
    route: row.route,
    path: row.path,
    resource: row.resource,
    operation: row.operation_id ? { id: row.operation_id, link: `/v1/operations/${row.operation_id}` } : null,
    status: row.status,
    outcome: row.status < 400 ? 'success' : 'failure',
    durationMs: row.duration_ms,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /v1/audit: filters, cursor paging, one query. */
export function auditRoutes(deps: AppDeps) {
  const { db } = deps;
  const app = newIdentityApp();
  app.onError((err, c) => renderPlatformError(c, toHttpError(err)));
  app.use('/audit', anyPlatformAuth(deps));

  /** Projects whose entries the caller may read: null means every entry (a global admin with an unscoped credential). */
  async function readableProjects(principal: Principal, project: string | undefined): Promise<string[] | null> {
    if (project) {
      await requireProjectAccess(db, principal, project, 'manager');
      return [project];
    }
    if (principal.tokenProjectId) {
      await requireProjectAccess(db, principal, principal.tokenProjectId, 'manager');
      return [principal.tokenProjectId];
    }
    if (principal.isAdmin) return null;
    const managed = await db
      .selectFrom('memberships')
      .select('project_id')
      .where('user_id', '=', principal.userId)
      .where('role', 'in', ['manager', 'admin'])
      .execute();
    if (!managed.length) throw forbidden('The audit log is for global admins and project managers');
    return managed.map((m) => m.project_id);
  }

  app.openapi(listAudit, async (c) => {
    const q = c.req.valid('query');
    const projects = await readableProjects(c.get('principal'), q.project);
    const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (before === null) throw badRequest('cursor: not a cursor from this API');

    let query = db.selectFrom('audit_log').selectAll();
    if (projects) query = query.where('project_id', 'in', projects);
    if (q.user) query = UUID.test(q.user) ? query.where('user_id', '=', q.user) : query.where('username', '=', q.user);
    if (q.resource) query = query.where('resource', '=', q.resource);
    if (q.action) {
      const [method, route] = q.action.split(' ');
      query = query.where('method', '=', method!);
      if (route) query = query.where('route', '=', route);
    }
    if (q.outcome === 'success') query = query.where('status', '<', 400);
    else if (q.outcome === 'failure') query = query.where('status', '>=', 400);
    else if (q.outcome) query = query.where('status', '=', Number(q.outcome));
    if (q.since) query = query.where('occurred_at', '>=', new Date(q.since));
    if (q.until) query = query.where('occurred_at', '<', new Date(q.until));
    if (before !== undefined) query = query.where('id', '<', before);

    const rows = await query.orderBy('id', 'desc').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    const nextCursor = rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null;
    return c.json({ entries: page.map(auditEntryView), nextCursor }, 200);
  });

  return app;
}
