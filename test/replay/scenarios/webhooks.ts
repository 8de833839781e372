import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { deliveryWorkflowId, eventPumpWorkflowId } from '../../../db/webhooks';
import { recordEvent } from '../../../lib/events';
import { deliverWebhook, pumpPlatformEvents } from '../../../workflows/webhooks';
import { startReceiver } from '../../operator/webhook-receiver';
import { kahuSession } from '../../support/kahu';
import { platformClient } from '../../support/platform';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/**
 * Drives the webhook workflows so the recorder captures: pumpPlatformEvents (continued as new, and
 * cancelled), deliverWebhook (completed after a failed attempt, and failed once its attempts ran
 * out). The pump and the failing delivery are started with short timings as workflow arguments.
 */
export async function webhooksScenario(stack: Stack): Promise<void> {
  const receiver = await startReceiver({
    '/ok': (_req, previous) => (previous.length ? 200 : 500),
    '/dead': () => 500,
  });
  try {
    const pump = await stack.temporal.workflow.start(pumpPlatformEvents, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: eventPumpWorkflowId(stack.config.WORKFLOW_ID_PREFIX),
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowRunTimeout: '10m',
      args: [{ pollMs: 100, overlapMs: 60_000, runMs: 1000, runsPerWorkflow: 2 }],
    });
    const admin = platformClient(stack);
    const ok = await admin.post('/v1/projects/demo/webhooks', { url: receiver.url('/ok'), eventTypes: ['operation.completed'] });
    expect(ok.status).toBe(201);
    const dead = await admin.post('/v1/projects/demo/webhooks', { url: receiver.url('/dead'), eventTypes: ['scenario.none'] });
    expect(dead.status).toBe(201);

    // deliverWebhook completed (second attempt): an operation finishes, the pump dispatches it.
    const kahu = await kahuSession(stack);
    expect((await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'webhooked' })).status).toBe(201);
    await waitFor(async () => (receiver.at('/ok').some((r) => r.answered === 200) ? true : undefined), 60_000);

    // deliverWebhook failed: two attempts at a dead endpoint.
    await recordEvent(stack.db, { key: `scenario:${randomUUID()}`, type: 'scenario.failed', projectId: 'demo', data: {} });
    const event = await stack.db.selectFrom('events').select('id').where('type', '=', 'scenario.failed').executeTakeFirstOrThrow();
    const deliveryId = randomUUID();
    await stack.db
      .insertInto('webhook_deliveries')
      .values({ id: deliveryId, endpoint_id: (await dead.json()).id, event_id: event.id, workflow_id: deliveryWorkflowId(stack.config.WORKFLOW_ID_PREFIX, deliveryId) })
      .execute();
    const failing = await stack.temporal.workflow.start(deliverWebhook, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: deliveryWorkflowId(stack.config.WORKFLOW_ID_PREFIX, deliveryId),
      workflowRunTimeout: '2m',
      args: [{ deliveryId, maxAttempts: 2, initialIntervalMs: 100, maxIntervalMs: 200, timeoutMs: 2000 }],
    });
    await expect(failing.result()).rejects.toThrow();

    // pumpPlatformEvents continued as new (two 1 s runs per workflow), then cancelled.
    await waitFor(async () => ((await pump.describe()).runId !== pump.firstExecutionRunId ? true : undefined), 60_000, 250);
    const latest = stack.temporal.workflow.getHandle(pump.workflowId);
    await latest.cancel();
    await latest.result().catch(() => undefined);
  } finally {
    await receiver.close();
  }
}
