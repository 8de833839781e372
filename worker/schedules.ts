import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../lib/config';
import { RESOURCE_ID, RESOURCE_TYPE } from '../workflows/support/search-attributes';
import { superviseInstances, syncHypervisors } from '../workflows/compute';
import { sweepOrphans } from '../workflows/sweep';
import { SWEEP_DOMAINS } from '../activities/inventory';
import { reconcileFlavors } from '../workflows/flavors';

interface ScheduleSpec<W extends Workflow> {
  /** After WORKFLOW_ID_PREFIX: the schedule's ID and its runs' workflow ID. */
  name: string;
  every: number | string;
  workflowType: W;
  args: Parameters<W>;
  runTimeout: string;
  /** Search attributes of its runs, so the Web UI filter `ResourceId = …` finds them. */
  resource?: string;
}

/**
 * Creates a schedule whose runs never overlap (SKIP), or, when it exists (another worker, a
 * restart), gives it today's interval and arguments.
 */
async function ensureSchedule<W extends Workflow>(client: Client, config: Config, spec: ScheduleSpec<W>): Promise<ScheduleHandle> {
  const scheduleId = `${config.WORKFLOW_ID_PREFIX}${spec.name}`;
  const intervals = { intervals: [{ every: spec.every }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec: intervals,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      // The SDK types `args` with a conditional type TypeScript cannot resolve while W is generic.
      action: {
        type: 'startWorkflow',
        workflowType: spec.workflowType,
        args: spec.args,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: scheduleId,
        workflowRunTimeout: spec.runTimeout,
        ...(spec.resource && {
          typedSearchAttributes: [
            { key: RESOURCE_TYPE, value: spec.resource.split('/')[0]! },
            { key: RESOURCE_ID, value: spec.resource },
          ],
        }),
      } as unknown as ScheduleOptionsStartWorkflowAction<W>,
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: intervals,
      action: { ...previous.action, args: spec.args } as typeof previous.action,
    }));
  }
  return client.schedule.getHandle(scheduleId);
}

/**
 * Keeps the hypervisor catalog in step with the cloud: a Temporal schedule runs syncHypervisors
 * every 30 s (visible in the Web UI under Schedules), and it is triggered once now.
 */
export async function ensureInventorySchedule(client: Client, config: Config): Promise<void> {
  const handle = await ensureSchedule(client, config, { name: 'inventory/hypervisors', every: '30s', workflowType: syncHypervisors, args: [], runTimeout: '5m' });
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
}

/**
 * Drift repair of the flavor catalog: a Temporal schedule runs reconcileFlavors every
 * FLAVORS_RECONCILE_INTERVAL_MS (Web UI → Schedules → `flavors/reconcile`); an existing schedule
 * takes a changed interval.
 */
export function ensureFlavorReconcileSchedule(client: Client, config: Config): Promise<ScheduleHandle> {
  return ensureSchedule(client, config, { name: 'flavors/reconcile', every: config.FLAVORS_RECONCILE_INTERVAL_MS, workflowType: reconcileFlavors, args: [], runTimeout: '5m' });
}

/**
 * Reliability (issue 10): the instance supervisor (`compute/supervise`, every
 * COMPUTE_SUPERVISE_INTERVAL_MS: instances follow their VMs) and one orphan sweeper per domain
 * (`sweep/<domain>`, every SWEEP_INTERVAL_MS). Existing schedules take a changed interval.
 */
export async function ensureReliabilitySchedules(client: Client, config: Config): Promise<ScheduleHandle[]> {
  return [
    await ensureSchedule(client, config, {
      name: 'compute/supervise',
      every: config.COMPUTE_SUPERVISE_INTERVAL_MS,
      workflowType: superviseInstances,
      args: [],
      runTimeout: '10m',
      resource: 'supervisor/compute',
    }),
    ...(await Promise.all(
      SWEEP_DOMAINS.map((domain) =>
        ensureSchedule(client, config, {
          name: `sweep/${domain}`,
          every: config.SWEEP_INTERVAL_MS,
          workflowType: sweepOrphans,
          args: [{ domain, graceMs: config.SWEEP_GRACE_MS }],
          runTimeout: '10m',
          resource: `sweep/${domain}`,
        }),
      ),
    )),
  ];
}
