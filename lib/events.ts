import type { Selectable } from 'kysely';
import type { Db } from '../db/connection';
import type { EventsTable } from '../db/webhooks';

/**
 * The platform's event outbox. Producers record what happened; the event pump (workflows/webhooks.ts)
 * dispatches each event to the project's webhook endpoints. Every event has a unique `key`, so a
 * producer that runs again (an activity retry, a detector scan that overlaps the previous one)
 * records it once.
 *
 * Operation terminal states are recorded by the pump itself (`operation.completed`, `.failed`,
 * `.cancelled`, `.terminated`, `.timed_out`). Domains record their status changes with
 * `recordStatusChange` from an activity, e.g. the apps domain after writing an app's new status:
 *
 *   await recordStatusChange(deps.db, {
 *     resource: `app/${appId}`, projectId, status: 'RUNNING', previousStatus: 'DEPLOYNG',
 *     causedBy: operationId,            // the same on a retry: recorded once
 *   });
 */

export interface NewEvent {
  /** Unique per event: the same key on a retry means the same event. */
  key: string;
  /** Dotted, lower case: `operation.completed`, `app.status_changed`. */
  type: string;
  projectId: string;
  /** `<type>/<id>` of the resource concerned, e.g. `cluster/7`. */
  resource?: string | null;
  operationId?: string | null;
  /** What subscribers receive under `data`: plain JSON, never a secret. */
  data: Record<string, unknown>;
  occurredAt?: Date;
}

export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/** Records an event once (by key). Returns whether this call recorded it. */
export async function recordEvent(db: Db, event: NewEvent): Promise<{ recorded: boolean }> {
  if (!EVENT_TYPE_PATTERN.test(event.type)) throw new Error(`event type ${JSON.stringify(event.type)} must look like "domain.what_happened"`);
  const row = await db
    .insertInto('events')
    .values({
      key: event.key,
      type: event.type,
      project_id: event.projectId,
      resource: event.resource ?? null,
      operation_id: event.operationId ?? null,
      data: JSON.stringify(event.data),
      occurred_at: event.occurredAt ?? new Date(),
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return { recorded: !!row };
}

export interface StatusChange {
  /** `<type>/<id>`, e.g. `app/9f1c…` or `cluster/3`; the event type is `<type>.status_changed`. */
  resource: string;
  projectId: string;
  status: string;
  previousStatus?: string | null;
  /** What caused the change and stays the same on a retry: an operation id, or a supervisor's run id and tick. */
  causedBy: string;
  operationId?: string | null;
  /** Extra plain fields for subscribers (a reason, an error text). */
  details?: Record<string, unknown>;
}

/** A domain resource changed status (apps, clusters): one `<type>.status_changed` event. */
export function recordStatusChange(db: Db, change: StatusChange): Promise<{ recorded: boolean }> {
  const [type, ...rest] = change.resource.split('/');
  if (!type || !rest.length) throw new Error(`resource ${JSON.stringify(change.resource)} must look like "<type>/<id>"`);
  return recordEvent(db, {
    key: `status:${change.resource}:${change.causedBy}:${change.status}`,
    type: `${type}.status_changed`,
    projectId: change.projectId,
    resource: change.resource,
    operationId: change.operationId ?? null,
    data: {
      resource: { type, id: change.resource },
      status: change.status,
      previousStatus: change.previousStatus ?? null,
      ...(change.operationId ? { operation: { id: change.operationId, link: `/v1/operations/${change.operationId}` } } : {}),
      ...change.details,
    },
  });
}

/** The JSON body a webhook endpoint receives for an event (the same on every attempt and redelivery). */
export function eventEnvelope(event: Selectable<EventsTable>) {
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurred_at.toISOString(),
    projectId: event.project_id,
    resource: event.resource,
    data: event.data,
  };
}
