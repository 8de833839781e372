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

/**
 * Keeps the hypervisor catalog in step with the cloud: a Temporal schedule runs syncHypervisors
 * every 30 s (visible in the Web UI under Schedules), and it is triggered once now.
 */
export async function ensureInventorySchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = `${config.WORKFLOW_ID_PREFIX}inventory/hypervisors`;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '30s' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: syncHypervisors,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: scheduleId,
        workflowRunTimeout: '5m',
      },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}

/**
 * Drift repair of the flavor catalog: a Temporal schedule runs reconcileFlavors every
 * FLAVORS_RECONCILE_INTERVAL_MS (Web UI → Schedules → `flavors/reconcile`); an existing schedule
 * takes a changed interval.
 */
export async function ensureFlavorReconcileSchedule(client: Client, config: Config): Promise<ScheduleHandle> {
  const scheduleId = `${config.WORKFLOW_ID_PREFIX}flavors/reconcile`;
  const spec = { intervals: [{ every: config.FLAVORS_RECONCILE_INTERVAL_MS }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: reconcileFlavors,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: scheduleId,
        workflowRunTimeout: '5m',
      },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
  return client.schedule.getHandle(scheduleId);
}

/**
 * Reliability (issue 10): the instance supervisor (`compute/supervise`, every
 * COMPUTE_SUPERVISE_INTERVAL_MS: instances follow their VMs) and one orphan sweeper per domain
 * (`sweep/<domain>`, every SWEEP_INTERVAL_MS). Existing schedules take a changed interval.
 */
export async function ensureReliabilitySchedules(client: Client, config: Config): Promise<ScheduleHandle[]> {
  const ensure = async <W extends Workflow>(name: string, every: number, workflowType: W, args: Parameters<W>, resource: string) => {
    const scheduleId = `${config.WORKFLOW_ID_PREFIX}${name}`;
    const spec = { intervals: [{ every }] };
    try {
      await client.schedule.create({
        scheduleId,
        spec,
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        // The SDK types `args` with a conditional type TypeScript cannot resolve while W is generic.
        action: {
          type: 'startWorkflow',
          workflowType,
          args,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: scheduleId,
          workflowRunTimeout: '10m',
          typedSearchAttributes: [
            { key: RESOURCE_TYPE, value: resource.split('/')[0]! },
            { key: RESOURCE_ID, value: resource },
          ],
        } as unknown as ScheduleOptionsStartWorkflowAction<W>,
      });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(scheduleId).update((previous) => ({
        ...previous,
        spec,
        action: { ...previous.action, args } as typeof previous.action,
      }));
    }
    return client.schedule.getHandle(scheduleId);
  };
  return [
    await ensure('compute/supervise', config.COMPUTE_SUPERVISE_INTERVAL_MS, superviseInstances, [], 'supervisor/compute'),
    ...(await Promise.all(
      SWEEP_DOMAINS.map((domain) => ensure(`sweep/${domain}`, config.SWEEP_INTERVAL_MS, sweepOrphans, [{ domain, graceMs: config.SWEEP_GRACE_MS }], `sweep/${domain}`)),
    )),
  ];
}
