import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import { recordCall } from './support/activity-options';
import { Progress } from './support/progress';
import { describeFailure } from './support/saga';

/**
 * Webhooks, outside every operation workflow: a slow or dead endpoint never delays an operation, and
 * the operation workflows' command sequences (and their replay histories) stay as they are.
 *
 * - `pumpPlatformEvents` (one per deployment): its activity detects operations that closed (one
 *   Temporal visibility query per tick, from a watermark), records one event per operation in the
 *   `events` outbox, and starts one `deliverWebhook` per (event, endpoint).
 * - `deliverWebhook` (one per delivery, workflow ID `webhook-delivery/<id>`): one signed POST,
 *   retried with exponential backoff up to a bound; the delivery log records every attempt.
 */

const record = proxyLocalActivities<WebhookActivities>(recordCall);

export interface DeliverWebhookInput {
  deliveryId: string;
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** One attempt's HTTP timeout. */
  timeoutMs: number;
}

/** Delivers one event to one endpoint: succeeded at the first 2xx, failed once the attempts run out. */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<{ statusCode: number }> {
  const progress = new Progress(['Deliver'], `webhook-delivery/${input.deliveryId}`);
  const { attemptWebhookDelivery } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: input.timeoutMs + 5000,
    summary: 'POST the signed event to the endpoint',
    retry: {
      initialInterval: input.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: input.maxIntervalMs,
      maximumAttempts: input.maxAttempts,
      nonRetryableErrorTypes: ['NotFound', 'EndpointDisabled'],
    },
  });
  try {
    const result = await progress.run('Deliver', () => attemptWebhookDelivery({ deliveryId: input.deliveryId }));
    progress.completed();
    return result;
  } catch (err) {
    const message = isCancellation(err) ? 'cancelled' : describeFailure(err);
    progress.failed(message);
    await CancellationScope.nonCancellable(() => record.finishWebhookDelivery({ deliveryId: input.deliveryId, error: message }));
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.create({ message: `webhook delivery failed: ${message}`, type: 'WebhookDeliveryFailed', nonRetryable: true });
  }
}

export interface PumpPlatformEventsInput {
  /** Pause between two scans. */
  pollMs: number;
  /** How far back each scan looks before the watermark (visibility is eventually consistent). */
  overlapMs: number;
  /** How long one pump activity runs before handing back to the workflow. */
  runMs: number;
  /** Pump activities per run before continuing as new. */
  runsPerWorkflow: number;
}

/**
 * The platform's event pump: a long-running activity per `runMs` does the scanning and
 * dispatching (its state — the watermark and the outbox — lives in Postgres), so the history grows
 * by a few events per `runMs`, not per scan. Continues as new every `runsPerWorkflow` activities.
 */
export async function pumpPlatformEvents(input: PumpPlatformEventsInput): Promise<void> {
  const progress = new Progress(['Pump events'], 'platform/event-pump');
  const { pumpEvents } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: input.runMs + 60_000,
    heartbeatTimeout: Math.max(30_000, input.pollMs * 3),
    summary: 'Detect finished operations, dispatch webhook deliveries',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  await progress.run('Pump events', async () => {
    for (let i = 0; i < input.runsPerWorkflow && !workflowInfo().continueAsNewSuggested; i++) {
      await pumpEvents({ pollMs: input.pollMs, overlapMs: input.overlapMs, runMs: input.runMs });
    }
  });
  await continueAsNew<typeof pumpPlatformEvents>(input);
}
