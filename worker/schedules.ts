import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { syncHypervisors } from '../workflows/compute';

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
