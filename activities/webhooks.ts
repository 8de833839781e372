import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdReusePolicy, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { Db } from '../db/connection';
import { PROJECT_ID } from '../workflows/support/search-attributes';
import { deliveryWorkflowId, eventPumpWorkflowId, eventTypeMatches, WEBHOOK_SECRET_PURPOSE } from '../db/webhooks';
import { secretKey, webhookPrivateTargetsAllowed, type Config } from '../lib/config';
import { eventEnvelope } from '../lib/events';
import { countOperationClosed, operationMetrics, type OperationOutcome } from '../lib/operation-metrics';
import { openSecret } from '../lib/secrets';
import { SIGNATURE_HEADER, signatureHeader } from '../lib/webhook-signature';
import { refusedTarget } from '../lib/webhook-targets';
import { deliverWebhook, pumpPlatformEvents, type DeliverWebhookInput, type PumpPlatformEventsInput } from '../workflows/webhooks';
import type { ActivityDeps } from './deps';

/**
 * Webhooks: the event pump (detects operations that reached a terminal state and dispatches every
 * undispatched event to its project's endpoints) and the delivery attempt (one signed POST).
 */

/** Temporal close status → the operation event's status. Continued-as-new runs are not terminal. */
const TERMINAL: Record<string, OperationOutcome> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

const WATERMARK = 'operations';
const DISPATCH_BATCH = 500;
const START_CONCURRENCY = 8;

type StarterDeps = { config: Config; temporal: Client };

/** The delivery workflow's arguments: retries and timeouts from configuration (10 attempts over ~1 h by default). */
export function deliveryInput(config: Config, deliveryId: string): DeliverWebhookInput {
  return {
    deliveryId,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    initialIntervalMs: config.WEBHOOK_INITIAL_BACKOFF_MS,
    maxIntervalMs: config.WEBHOOK_MAX_BACKOFF_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  };
}

/** Upper bound for a delivery: every attempt at its timeout plus every backoff at its maximum. */
function deliveryRunTimeoutMs(input: DeliverWebhookInput): number {
  return input.maxAttempts * (input.timeoutMs + 5000 + input.maxIntervalMs) + 60_000;
}

/**
 * Starts the delivery workflow of each delivery row. The workflow ID is derived from the row, and a
 * closed run's ID is never reused, so a dispatcher that runs again starts nothing twice.
 */
export async function startDeliveryWorkflows({ config, temporal }: StarterDeps, deliveryIds: string[]): Promise<number> {
  let started = 0;
  for (let i = 0; i < deliveryIds.length; i += START_CONCURRENCY) {
    await Promise.all(
      deliveryIds.slice(i, i + START_CONCURRENCY).map(async (id) => {
        const input = deliveryInput(config, id);
        try {
          await temporal.workflow.start(deliverWebhook, {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId: deliveryWorkflowId(config.WORKFLOW_ID_PREFIX, id),
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            workflowRunTimeout: deliveryRunTimeoutMs(input),
            staticSummary: `Webhook delivery ${id}`,
            args: [input],
          });
          started++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }),
    );
  }
  return started;
}

/** The event pump's arguments, from configuration. */
export function pumpInput(config: Config): PumpPlatformEventsInput {
  return { pollMs: config.EVENTS_POLL_MS, overlapMs: config.EVENTS_OVERLAP_MS, runMs: config.EVENTS_PUMP_RUN_MS, runsPerWorkflow: 12 };
}

/**
 * Makes sure the platform's event pump runs (one per deployment, by workflow ID); a no-op when it
 * does. The worker calls it at start; the API when a webhook endpoint is registered.
 */
export async function ensureEventPump({ config, temporal }: StarterDeps): Promise<void> {
  const input = pumpInput(config);
  await temporal.workflow.start(pumpPlatformEvents, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: eventPumpWorkflowId(config.WORKFLOW_ID_PREFIX),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowRunTimeout: input.runsPerWorkflow * (input.runMs + 60_000) * 2,
    staticSummary: 'Detect finished operations and dispatch webhook deliveries',
    args: [input],
  });
}

/** The failure of a closed run (type and message), read from its close event. */
async function closeFailure(temporal: Client, wf: WorkflowExecutionInfo): Promise<{ type: string; message: string } | null> {
  try {
    await temporal.workflow.getHandle(wf.workflowId, wf.runId, { followRuns: false }).result();
    return null;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) return { type: 'Unknown', message: err instanceof Error ? err.message : String(err) };
    let e: unknown = err.cause;
    let message = err.message;
    while (e instanceof Error) {
      if (e instanceof ApplicationFailure) return { type: e.type ?? 'OperationFailed', message: e.message };
      if (e instanceof CancelledFailure) return { type: 'Cancelled', message: 'operation was cancelled' };
      if (e instanceof TerminatedFailure) return { type: 'Terminated', message: 'operation was terminated' };
      if (e instanceof TimeoutFailure) return { type: 'Timeout', message: 'operation timed out' };
      if (e.message) message = e.message;
      e = e.cause;
    }
    return { type: 'OperationFailed', message };
  }
}

async function watermark(db: Db): Promise<Date> {
  await db
    .insertInto('event_watermarks')
    .values({ name: WATERMARK, watermark: new Date() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('event_watermarks').select('watermark').where('name', '=', WATERMARK).executeTakeFirstOrThrow();
  return row.watermark;
}

/** Temporal visibility strings are single-quoted; a quote inside one is doubled away. */
const quoted = (s: string) => `'${s.replace(/'/g, '')}'`;

/**
 * One scan: ONE visibility query lists the platform's runs closed since the watermark (minus an
 * overlap, as visibility is eventually consistent); those that are operations (a row in
 * `operations`) become `operation.<status>` events, keyed by operation so a rescan adds nothing.
 */
export async function detectClosedOperations(deps: Pick<ActivityDeps, 'db' | 'temporal' | 'config'>, overlapMs: number): Promise<number> {
  const { db, temporal, config } = deps;
  const since = new Date((await watermark(db)).getTime() - overlapMs);
  // Operations carry a ProjectId (lib/operations.ts); deliveries, the pump and schedules do not.
  const query =
    `TaskQueue = ${quoted(config.TEMPORAL_TASK_QUEUE)} AND ${PROJECT_ID.name} IS NOT NULL` +
    ` AND ExecutionStatus != 'Running' AND CloseTime > ${quoted(since.toISOString())}`;
  const closed: WorkflowExecutionInfo[] = [];
  for await (const wf of temporal.workflow.list({ query, pageSize: 1000 })) {
    if (TERMINAL[wf.status.name] && wf.closeTime) closed.push(wf);
  }
  if (!closed.length) return 0;
  const latest = new Date(Math.max(...closed.map((wf) => wf.closeTime!.getTime())));

  const operations = await db.selectFrom('operations').selectAll().where('run_id', 'in', closed.map((wf) => wf.runId)).execute();
  let recorded = 0;
  if (operations.length) {
    const keyOf = (operationId: string) => `operation:${operationId}`;
    const known = new Set(
      (await db.selectFrom('events').select('key').where('key', 'in', operations.map((o) => keyOf(o.id))).execute()).map((e) => e.key),
    );
    const fresh = operations.filter((o) => !known.has(keyOf(o.id)));
    for (const op of fresh) {
      const wf = closed.find((w) => w.runId === op.run_id)!;
      const status = TERMINAL[wf.status.name]!;
      const error = status === 'completed' ? null : await closeFailure(temporal, wf);
      const [resourceType] = op.resource_id.split('/');
      const row = await db
        .insertInto('events')
        .values({
          key: keyOf(op.id),
          type: `operation.${status}`,
          project_id: op.project_id,
          resource: op.resource_id,
          operation_id: op.id,
          occurred_at: wf.closeTime!,
          data: JSON.stringify({
            operation: {
              id: op.id,
              type: op.workflow_type,
              status,
              summary: op.summary,
              resource: { type: resourceType ?? op.resource_type, id: op.resource_id },
              projectId: op.project_id,
              startedAt: wf.startTime.toISOString(),
              endedAt: wf.closeTime!.toISOString(),
              error,
              link: `/v1/operations/${op.id}`,
            },
          }),
        })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) {
        recorded++;
        countOperationClosed({
          workflowType: op.workflow_type,
          resourceType: resourceType ?? op.resource_type,
          outcome: status,
          durationMs: wf.closeTime!.getTime() - wf.startTime.getTime(),
        });
      }
    }
  }
  await db
    .updateTable('event_watermarks')
    .set({ watermark: latest, updated_at: new Date() })
    .where('name', '=', WATERMARK)
    .where('watermark', '<', latest)
    .execute();
  return recorded;
}

/**
 * One dispatch: every undispatched event gets one delivery row per matching endpoint of its project
 * (subscribed to its type, registered before it happened), each delivered by its own workflow.
 */
export async function dispatchEvents(deps: Pick<ActivityDeps, 'db' | 'temporal' | 'config'>): Promise<number> {
  const { db } = deps;
  const events = await db
    .selectFrom('events')
    .select(['id', 'project_id', 'type', 'occurred_at'])
    .where('dispatched_at', 'is', null)
    .orderBy('created_at')
    .limit(DISPATCH_BATCH)
    .execute();
  if (!events.length) return 0;
  const endpoints = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'project_id', 'event_types', 'created_at'])
    .where('enabled', '=', true)
    .where('project_id', 'in', [...new Set(events.map((e) => e.project_id))])
    .execute();
  const pairs = events.flatMap((event) =>
    endpoints
      .filter((ep) => ep.project_id === event.project_id && ep.created_at <= event.occurred_at)
      .filter((ep) => ep.event_types.some((pattern) => eventTypeMatches(pattern, event.type)))
      .map((ep) => ({ endpoint_id: ep.id, event_id: event.id })),
  );
  let deliveryIds: string[] = [];
  if (pairs.length) {
    await db
      .insertInto('webhook_deliveries')
      .values(
        pairs.map((p) => {
          const id = randomUUID();
          return { id, ...p, seq: 0, workflow_id: deliveryWorkflowId(deps.config.WORKFLOW_ID_PREFIX, id) };
        }),
      )
      .onConflict((oc) => oc.columns(['endpoint_id', 'event_id', 'seq']).doNothing())
      .execute();
    // Rows of an earlier, interrupted dispatch are found here too; their workflow starts at most once.
    deliveryIds = (
      await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('event_id', 'in', events.map((e) => e.id))
        .where('seq', '=', 0)
        .where('state', '=', 'pending')
        .execute()
    ).map((d) => d.id);
    await startDeliveryWorkflows(deps, deliveryIds);
  }
  await db
    .updateTable('events')
    .set({ dispatched_at: new Date() })
    .where('id', 'in', events.map((e) => e.id))
    .execute();
  return deliveryIds.length;
}

export interface DeliveryAttempt {
  statusCode: number;
}

export function createWebhookActivities(deps: ActivityDeps) {
  const { db, config, logger } = deps;

  return {
    /**
     * The event pump's body: scans for closed operations and dispatches events every `pollMs`, for
     * `runMs`, heartbeating (cancellation and a lost worker are noticed within the heartbeat timeout).
     * A failing scan is logged and tried again at the next tick.
     */
    async pumpEvents(input: { pollMs: number; overlapMs: number; runMs: number }): Promise<{ events: number; deliveries: number }> {
      const ctx = Context.current();
      const deadline = Date.now() + input.runMs;
      const totals = { events: 0, deliveries: 0 };
      while (Date.now() < deadline) {
        try {
          totals.events += await detectClosedOperations(deps, input.overlapMs);
          totals.deliveries += await dispatchEvents(deps);
        } catch (err) {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'event pump tick failed; retrying at the next tick');
        }
        ctx.heartbeat(totals);
        await ctx.sleep(input.pollMs);
      }
      return totals;
    },

    /**
     * One signed POST of a delivery's event to its endpoint. The secret is opened here and never
     * leaves the activity. Each attempt is logged; a non-2xx answer or a network error throws, and
     * the workflow's retry policy schedules the next attempt with backoff.
     */
    async attemptWebhookDelivery(input: { deliveryId: string }): Promise<DeliveryAttempt> {
      const ctx = Context.current();
      const attempt = ctx.info.attempt;
      const row = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
        .innerJoin('events as e', 'e.id', 'd.event_id')
        .select(['d.id as delivery_id', 'd.state', 'w.url', 'w.secret_sealed', 'w.enabled'])
        .selectAll('e')
        .where('d.id', '=', input.deliveryId)
        .executeTakeFirst();
      if (!row) throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} or its endpoint no longer exists`, 'NotFound');
      if (row.state === 'succeeded') return { statusCode: 200 }; // a retry after the success was recorded
      if (!row.enabled) throw ApplicationFailure.nonRetryable('the endpoint is disabled', 'EndpointDisabled');

      const body = JSON.stringify(eventEnvelope(row));
      const secret = openSecret(row.secret_sealed, secretKey(config), WEBHOOK_SECRET_PURPOSE);
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      let refused = false;
      try {
        const why = webhookPrivateTargetsAllowed(config) ? null : await refusedTarget(row.url);
        if (why) {
          refused = true;
          throw new Error(`refused: ${why}; webhooks may only target public addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS)`);
        }
        const res = await fetch(row.url, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Provisio-Webhooks/1',
            [SIGNATURE_HEADER]: signatureHeader(secret, body),
            'Provisio-Event-Id': row.id,
            'Provisio-Event-Type': row.type,
            'Provisio-Delivery': input.deliveryId,
            'Provisio-Attempt': String(attempt),
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS), ctx.cancellationSignal]),
        });
        statusCode = res.status;
        await res.body?.cancel().catch(() => {});
        if (!res.ok) error = `endpoint answered ${res.status}`;
      } catch (err) {
        error = refused && err instanceof Error ? err.message : err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err).slice(0, 500);
      }
      const durationMs = Math.round(performance.now() - started);
      operationMetrics().webhookAttempts.inc({ result: !error ? 'delivered' : statusCode === null ? 'network_error' : 'http_error' });
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('webhook_delivery_attempts')
          .values({ delivery_id: input.deliveryId, attempt, status_code: statusCode, error, duration_ms: durationMs })
          .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doUpdateSet({ status_code: statusCode, error, duration_ms: durationMs }))
          .execute();
        await trx
          .updateTable('webhook_deliveries')
          .set({
            attempts: attempt,
            last_status_code: statusCode,
            last_error: error,
            ...(error ? {} : { state: 'succeeded' as const, completed_at: new Date() }),
          })
          .where('id', '=', input.deliveryId)
          .execute();
      });
      if (refused) throw ApplicationFailure.nonRetryable(error!, 'TargetRefused');
      if (error) throw ApplicationFailure.retryable(error, 'EndpointError');
      return { statusCode: statusCode! };
    },

    /** Records that a delivery gave up (attempts exhausted, endpoint disabled or gone, cancelled). */
    async finishWebhookDelivery(input: { deliveryId: string; error: string }): Promise<void> {
      await db
        .updateTable('webhook_deliveries')
        .set({ state: 'failed', completed_at: new Date(), last_error: input.error.slice(0, 500) })
        .where('id', '=', input.deliveryId)
        .where('state', '=', 'pending')
        .execute();
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
