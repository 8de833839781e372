import { z } from '@hono/zod-openapi';
import { ProjectIdSchema } from '../auth/schemas';

/** zod schemas of /v1/projects/{id}/webhooks: they validate requests and generate /openapi.json. */

const Timestamp = z.string().openapi({ format: 'date-time' });

export const EventTypePattern = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/, 'must be an event type (operation.failed), a prefix (operation.*) or *')
  .openapi({ example: 'operation.*' });

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2000)
  .openapi({ example: 'https://ci.example.com/hooks/provisio' });

export const CreateWebhookSchema = z
  .strictObject({
    url: WebhookUrl,
    eventTypes: z.array(EventTypePattern).min(1).max(50).openapi({ example: ['operation.failed', 'operation.completed'] }),
    secret: z
      .string()
      .min(16)
      .max(256)
      .optional()
      .openapi({ description: 'Signing secret; generated (whsec_…) when absent. Shown once, in this answer.' }),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('CreateWebhook');

export const UpdateWebhookSchema = z
  .strictObject({
    url: WebhookUrl.optional(),
    eventTypes: z.array(EventTypePattern).min(1).max(50).optional(),
    description: z.string().max(500).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('UpdateWebhook');

export const WebhookSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Webhook');

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'The signing secret, shown this once; only a sealed copy is stored' }),
}).openapi('CreatedWebhook');

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    event: z.object({ id: z.string(), type: z.string(), resource: z.string().nullable(), operationId: z.string().nullable(), occurredAt: Timestamp }),
    redeliveryOf: z.string().nullable(),
    state: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    workflowId: z.string(),
    createdAt: Timestamp,
    completedAt: Timestamp.nullable(),
  })
  .openapi('WebhookDelivery');

export const DeliveryDetailSchema = DeliverySchema.extend({
  attemptLog: z.array(
    z.object({ attempt: z.number().int(), attemptedAt: Timestamp, statusCode: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number().int() }),
  ),
  payload: z.unknown().openapi({ description: 'The JSON body the endpoint receives' }),
}).openapi('WebhookDeliveryDetail');

const param = <T extends z.ZodType>(schema: T, name: string) => schema.openapi({ param: { name, in: 'path' } });

export const ProjectParam = z.object({ id: param(ProjectIdSchema, 'id') });
export const WebhookParam = z.object({ id: param(ProjectIdSchema, 'id'), webhookId: param(z.uuid(), 'webhookId') });
export const DeliveryParam = WebhookParam.extend({ deliveryId: param(z.uuid(), 'deliveryId') });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});

export const DeliveriesQuery = PageQuery.extend({ state: z.enum(['pending', 'succeeded', 'failed']).optional() });
