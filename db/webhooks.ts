import type { ColumnType, Generated } from 'kysely';
import type { AuditTables } from './audit';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/**
 * The event outbox: one row per thing that happened (an operation reached a terminal state, an app
 * changed status). `key` is unique, so a producer that retries never records an event twice.
 */
export interface EventsTable {
  id: Generated<string>;
  key: string;
  /** e.g. `operation.completed`, `app.status_changed`. */
  type: string;
  project_id: string;
  /** e.g. `instance/42`. */
  resource: string | null;
  operation_id: string | null;
  data: ColumnType<Record<string, unknown>, string, string>;
  occurred_at: ColumnType<Date, Date | string, never>;
  created_at: CreatedAt;
  dispatched_at: ColumnType<Date | null, never, Date | string>;
}

/** How far the operation-event detector has read Temporal's visibility (by close time). */
export interface EventWatermarksTable {
  name: string;
  watermark: Date;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WebhookEndpointsTable {
  id: Generated<string>;
  project_id: string;
  url: string;
  /** The signing secret, sealed with lib/secrets.ts (purpose `webhook-endpoint`); shown once at creation. */
  secret_sealed: string;
  /** Exact types (`operation.failed`), prefixes (`operation.*`) or `*`. */
  event_types: string[];
  description: string | null;
  enabled: Generated<boolean>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type DeliveryState = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  endpoint_id: string;
  event_id: string;
  seq: Generated<number>;
  redelivery_of: string | null;
  state: Generated<DeliveryState>;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  workflow_id: string;
  created_at: CreatedAt;
  completed_at: Date | null;
}

export interface WebhookDeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  attempted_at: CreatedAt;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface WebhookTables {
  events: EventsTable;
  event_watermarks: EventWatermarksTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}

/** The operator tables of migration 009: the audit log, the event outbox and webhooks. */
export interface OperatorTables extends AuditTables, WebhookTables {}

/** Workflow ID of one delivery: derived from its row, so a dispatcher retry starts it at most once. */
export const deliveryWorkflowId = (prefix: string, deliveryId: string) => `${prefix}webhook-delivery/${deliveryId}`;

/** Workflow ID of the platform's event pump (detector and dispatcher). */
export const eventPumpWorkflowId = (prefix: string) => `${prefix}platform/event-pump`;

/** Purpose for lib/secrets.ts: a secret sealed for webhooks cannot be opened as anything else. */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-endpoint';

/** Whether an endpoint subscribed to `pattern` wants events of `type`: exact, `prefix.*` or `*`. */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}
