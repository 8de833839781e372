import { randomBytes, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { sql, type Selectable } from 'kysely';
import { ensureEventPump, startDeliveryWorkflows } from '../../activities/webhooks';
import { deliveryWorkflowId, WEBHOOK_SECRET_PURPOSE, type WebhookDeliveriesTable, type WebhookEndpointsTable } from '../../db/webhooks';
import { secretKey, webhookPrivateTargetsAllowed } from '../../lib/config';
import { refusedOnSight } from '../../lib/webhook-targets';
import { eventEnvelope } from '../../lib/events';
import { sealSecret } from '../../lib/secrets';
import { requireProjectAccess } from '../auth/access';
import { anyPlatformAuth } from '../auth/middleware';
import { isUniqueViolation } from '../auth/pg-errors';
import { errorResponses, jsonBody, jsonResponse, newIdentityApp, PLATFORM_SECURITY } from '../auth/route-helpers';
import type { AppDeps } from '../deps';
import { badRequest, conflict, notFound, renderPlatformError, toHttpError } from '../errors';
import { decodePageCursor, encodePageCursor } from './cursor';
import {
  CreatedWebhookSchema,
  CreateWebhookSchema,
  DeliveriesQuery,
  DeliveryDetailSchema,
  DeliveryParam,
  DeliverySchema,
  PageQuery,
  ProjectParam,
  UpdateWebhookSchema,
  WebhookParam,
  WebhookSchema,
} from './schemas';

/**
 * /v1/projects/{id}/webhooks: a project's webhook endpoints (managers), their delivery log, and
 * redelivery on request. Secrets are sealed at rest and shown once, at creation.
 */

const base = { tags: ['webhooks'], security: PLATFORM_SECURITY };
const page = (schema: z.ZodType, key: string) => z.object({ [key]: z.array(schema), nextCursor: z.string().nullable() });

const createWebhook = createRoute({
  ...base,
  method: 'post',
  path: '/projects/{id}/webhooks',
  summary: 'Register a webhook endpoint (project managers); the signing secret is in this answer only',
  request: { params: ProjectParam, body: jsonBody(CreateWebhookSchema) },
  responses: { 201: jsonResponse(CreatedWebhookSchema, 'Registered'), ...errorResponses(400, 401, 403, 404) },
});
const listWebhooks = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}/webhooks',
  summary: "A project's webhook endpoints, newest first",
  request: { params: ProjectParam, query: PageQuery },
  responses: { 200: jsonResponse(page(WebhookSchema, 'webhooks'), 'Endpoints'), ...errorResponses(400, 401, 403, 404) },
});
const getWebhook = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}/webhooks/{webhookId}',
  summary: 'One webhook endpoint',
  request: { params: WebhookParam },
  responses: { 200: jsonResponse(WebhookSchema, 'The endpoint'), ...errorResponses(400, 401, 403, 404) },
});
const updateWebhook = createRoute({
  ...base,
  method: 'patch',
  path: '/projects/{id}/webhooks/{webhookId}',
  summary: 'Change an endpoint: URL, event types, description, enabled',
  request: { params: WebhookParam, body: jsonBody(UpdateWebhookSchema) },
  responses: { 200: jsonResponse(WebhookSchema, 'Updated'), ...errorResponses(400, 401, 403, 404) },
});
const deleteWebhook = createRoute({
  ...base,
  method: 'delete',
  path: '/projects/{id}/webhooks/{webhookId}',
  summary: 'Remove an endpoint and its delivery log; pending deliveries stop',
  request: { params: WebhookParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(400, 401, 403, 404) },
});
const listDeliveries = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}/webhooks/{webhookId}/deliveries',
  summary: "An endpoint's delivery log, newest first",
  request: { params: WebhookParam, query: DeliveriesQuery },
  responses: { 200: jsonResponse(page(DeliverySchema, 'deliveries'), 'Deliveries'), ...errorResponses(400, 401, 403, 404) },
});
const getDelivery = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}/webhooks/{webhookId}/deliveries/{deliveryId}',
  summary: 'One delivery with every attempt and the body the endpoint receives',
  request: { params: DeliveryParam },
  responses: { 200: jsonResponse(DeliveryDetailSchema, 'The delivery'), ...errorResponses(400, 401, 403, 404) },
});
const redeliver = createRoute({
  ...base,
  method: 'post',
  path: '/projects/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver',
  summary: "Deliver a delivery's event again, as a new delivery with its own attempts",
  request: { params: DeliveryParam },
  responses: { 202: jsonResponse(DeliverySchema, 'Redelivery started'), ...errorResponses(400, 401, 403, 404, 409) },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function webhookView(row: Selectable<WebhookEndpointsTable>): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    projectId: row.project_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

type DeliveryRow = Selectable<WebhookDeliveriesTable> & { event_type: string; event_resource: string | null; event_operation_id: string | null; event_occurred_at: Date };

function deliveryView(row: DeliveryRow): z.infer<typeof DeliverySchema> {
  return {
    id: row.id,
    webhookId: row.endpoint_id,
    event: { id: row.event_id, type: row.event_type, resource: row.event_resource, operationId: row.event_operation_id, occurredAt: row.event_occurred_at.toISOString() },
    redeliveryOf: row.redelivery_of,
    state: row.state,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    workflowId: row.workflow_id,
    createdAt: row.created_at.toISOString(),
    completedAt: iso(row.completed_at),
  };
}

export function webhookRoutes(deps: AppDeps) {
  const { db, config } = deps;
  const app = newIdentityApp();
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get('logger')?.error({ err }, 'webhooks request failed');
    return renderPlatformError(c, httpError);
  });
  const auth = anyPlatformAuth(deps);
  app.use('/projects/:id/webhooks', auth);
  app.use('/projects/:id/webhooks/*', auth);

  async function endpointOf(projectId: string, webhookId: string) {
    const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', webhookId).where('project_id', '=', projectId).executeTakeFirst();
    if (!row) throw notFound('Webhook not found');
    return row;
  }

  const deliveries = () =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.type as event_type', 'e.resource as event_resource', 'e.operation_id as event_operation_id', 'e.occurred_at as event_occurred_at']);

  async function deliveryOf(webhookId: string, deliveryId: string): Promise<DeliveryRow> {
    const row = await deliveries().where('d.id', '=', deliveryId).where('d.endpoint_id', '=', webhookId).executeTakeFirst();
    if (!row) throw notFound('Delivery not found');
    return row;
  }

  /** A target inside the platform's network is refused unless allowed (lib/webhook-targets.ts; deliveries check resolved names). */
  function assertPublicTarget(url: string | undefined): void {
    if (url === undefined || webhookPrivateTargetsAllowed(config)) return;
    const why = refusedOnSight(url);
    if (why) throw badRequest(`url: ${why}; webhooks may only target public addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS)`);
  }

  app.openapi(createWebhook, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const principal = c.get('principal');
    await requireProjectAccess(db, principal, id, 'manager');
    assertPublicTarget(body.url);
    const secret = body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const row = await db
      .insertInto('webhook_endpoints')
      .values({
        project_id: id,
        url: body.url,
        secret_sealed: sealSecret(secret, secretKey(config), WEBHOOK_SECRET_PURPOSE),
        event_types: [...new Set(body.eventTypes)],
        description: body.description ?? null,
        enabled: body.enabled ?? true,
        created_by: principal.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // The pump detects finished operations and dispatches deliveries; make sure it runs.
    await ensureEventPump(deps).catch((err) => c.get('logger')?.warn({ err: String(err) }, 'could not start the event pump'));
    deps.logger.info({ projectId: id, webhookId: row.id }, 'webhook registered');
    c.header('Cache-Control', 'no-store');
    return c.json({ ...webhookView(row), secret }, 201);
  });

  app.openapi(listWebhooks, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    const after = cursor === undefined ? undefined : decodePageCursor(cursor);
    if (after === null) throw badRequest('cursor: not a cursor from this API');
    let q = db.selectFrom('webhook_endpoints').selectAll().where('project_id', '=', id);
    if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return c.json({ webhooks: items.map(webhookView), nextCursor: rows.length > limit && last ? encodePageCursor(last.created_at, last.id) : null }, 200);
  });

  app.openapi(getWebhook, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    return c.json(webhookView(await endpointOf(id, webhookId)), 200);
  });

  app.openapi(updateWebhook, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    const patch = c.req.valid('json');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    await endpointOf(id, webhookId);
    assertPublicTarget(patch.url);
    const row = await db
      .updateTable('webhook_endpoints')
      .set({
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.eventTypes !== undefined && { event_types: [...new Set(patch.eventTypes)] }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        updated_at: new Date(),
      })
      .where('id', '=', webhookId)
      .where('project_id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return c.json(webhookView(row), 200);
  });

  app.openapi(deleteWebhook, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    const deleted = await db.deleteFrom('webhook_endpoints').where('id', '=', webhookId).where('project_id', '=', id).executeTakeFirst();
    if (!deleted.numDeletedRows) throw notFound('Webhook not found');
    return c.body(null, 204);
  });

  app.openapi(listDeliveries, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    const { limit, cursor, state } = c.req.valid('query');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    await endpointOf(id, webhookId);
    const after = cursor === undefined ? undefined : decodePageCursor(cursor);
    if (after === null) throw badRequest('cursor: not a cursor from this API');
    let q = deliveries().where('d.endpoint_id', '=', webhookId);
    if (state) q = q.where('d.state', '=', state);
    if (after) q = q.where((eb) => eb.or([eb('d.created_at', '<', after.at), eb.and([eb('d.created_at', '=', after.at), eb('d.id', '<', after.id)])]));
    const rows = await q.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return c.json(
      { deliveries: items.map(deliveryView), nextCursor: rows.length > limit && last ? encodePageCursor(last.created_at, last.id) : null },
      200,
    );
  });

  app.openapi(getDelivery, async (c) => {
    const { id, webhookId, deliveryId } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    await endpointOf(id, webhookId);
    const delivery = await deliveryOf(webhookId, deliveryId);
    const [attempts, event] = await Promise.all([
      db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt').execute(),
      db.selectFrom('events').selectAll().where('id', '=', delivery.event_id).executeTakeFirstOrThrow(),
    ]);
    return c.json(
      {
        ...deliveryView(delivery),
        attemptLog: attempts.map((a) => ({
          attempt: a.attempt,
          attemptedAt: a.attempted_at.toISOString(),
          statusCode: a.status_code,
          error: a.error,
          durationMs: a.duration_ms,
        })),
        payload: eventEnvelope(event),
      },
      200,
    );
  });

  app.openapi(redeliver, async (c) => {
    const { id, webhookId, deliveryId } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'manager');
    const endpoint = await endpointOf(id, webhookId);
    if (!endpoint.enabled) throw conflict('The webhook is disabled; enable it first');
    const original = await deliveryOf(webhookId, deliveryId);
    let newId: string | undefined;
    for (let tries = 0; !newId && tries < 5; tries++) {
      const id = randomUUID();
      try {
        await db
          .insertInto('webhook_deliveries')
          .values({
            id,
            endpoint_id: webhookId,
            event_id: original.event_id,
            seq: sql<number>`(select coalesce(max(seq), 0) + 1 from webhook_deliveries where endpoint_id = ${webhookId} and event_id = ${original.event_id})`,
            redelivery_of: original.id,
            workflow_id: deliveryWorkflowId(config.WORKFLOW_ID_PREFIX, id),
          })
          .execute();
        newId = id;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err; // a concurrent redelivery took that number: take the next
      }
    }
    if (!newId) throw conflict('Too many concurrent redeliveries; try again');
    await startDeliveryWorkflows(deps, [newId]);
    deps.logger.info({ webhookId, deliveryId: newId, redeliveryOf: original.id }, 'webhook redelivery started');
    return c.json(deliveryView(await deliveryOf(webhookId, newId)), 202);
  });

  return app;
}
