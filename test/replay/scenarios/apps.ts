import { expect } from 'vitest';
import { autoscalerWorkflowId } from '../../../db/apps';
import { autoscaleApp } from '../../../workflows/apps';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';
import { createApp, getApp, gitRepository, operationsOf, paasClient, seedCreateBody, smallApp, V1, V2, waitForStatus } from '../../apps/support';

/**
 * Drives every apps workflow through the API so the recorder captures: deployApp (completed, and
 * failed with compensation: no Dockerfile), scaleInMediaServers, scaleOutMediaServers (completed,
 * and failed with compensation: no capacity for the VM), stopMediaServer, startMediaServer,
 * autoscaleApp (continued as new, then cancelled by the delete), deleteApp (failed, then
 * completed), and deployApp failed with a media-server VM whose create answer was lost (its
 * compensation deletes the VM by its owner mark and name).
 */
export async function appsScenario(stack: Stack): Promise<void> {
  const paas = await paasClient(stack);
  const repo = await gitRepository();
  const bare = await gitRepository({ dockerfile: null });
  try {
    // Until the previous operation on the app has ended, a media-server call answers 409.
    const whenIdle = async (send: () => Promise<Response>) => {
      const res = await waitFor(async () => {
        const r = await send();
        return r.status === 409 ? undefined : r;
      });
      expect(res.status).toBe(202);
      await waitFor(async () => {
        const ops = await operationsOf(stack, app.id);
        const last = ops.at(-1)!;
        const d = await stack.temporal.workflow.getHandle(last.workflow_id, last.run_id).describe();
        return d.status.name === 'RUNNING' ? undefined : true;
      });
    };

    // The seed's app, autoscaling up to 2 media servers: its deploy starts the autoscaler (whose
    // period is the recorder's default, 30 s: it decides nothing here).
    const app = await createApp(paas, { ...seedCreateBody(repo.url), numberOfInstances: 2, scaleInOut: 2 });
    await waitForStatus(paas, app.id, 'RUNNING');
    const workflowId = autoscalerWorkflowId(stack.config.WORKFLOW_ID_PREFIX, app.id);
    const autoscaler = stack.temporal.workflow.getHandle(workflowId);
    await waitFor(() => autoscaler.describe().catch(() => undefined));
    await autoscaler.cancel();
    await autoscaler.result().catch(() => undefined);

    const ms = `${V2}/app/${app.id}/media-server`;
    await whenIdle(() => paas.delete(ms));
    const capacity = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, status: 409, code: 'capacity' });
    await whenIdle(() => paas.post(ms));
    await stack.cloud.removeFaultRule(capacity.id);
    await whenIdle(() => paas.post(ms));
    const [host] = (await getApp(paas, app.id)).mediaServerGroup.hosts;
    await whenIdle(() => paas.put(`${ms}/${host.hostname}/stop`));
    await whenIdle(() => paas.put(`${ms}/${host.hostname}/start`));

    // The autoscaler again, with short periods: the load is low, so it scales in; it continues as new.
    await stack.temporal.workflow.start(autoscaleApp, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [{ appId: app.id, settings: { workflowId, periodMs: 100, cooldownMs: 200, lowMark: 60, ticksPerRun: 3 } }],
    });
    const firstRun = (await autoscaler.describe()).runId;
    await waitFor(async () => ((await autoscaler.describe()).runId !== firstRun && (await getApp(paas, app.id)).mediaServerGroup.hosts.length === 1 ? true : undefined));

    // A delete that fails (the cloud refuses to delete a VM), then one that finishes the job.
    const refuse = await stack.cloud.addFaultRule({ operation: 'deleteVm', probability: 1, status: 400, code: 'invalid' });
    expect((await paas.delete(`${V1}/app/${app.id}`)).status).toBeGreaterThanOrEqual(400);
    await stack.cloud.removeFaultRule(refuse.id);
    expect((await paas.delete(`${V1}/app/${app.id}`)).status).toBe(200);

    // A repository without a Dockerfile: the deploy fails and compensates.
    const broken = await createApp(paas, smallApp(bare.url, { name: 'no-dockerfile' }));
    await waitForStatus(paas, broken.id, 'FAILED');
    expect((await paas.delete(`${V1}/app/${broken.id}`)).status).toBe(200);

    // A media-server VM create whose answer is lost, then whose retry is refused: the deploy fails,
    // and its compensation deletes the VM the cloud made by the app's mark and the VM's name.
    // Last, so it is the failed deployApp the recorder sees first.
    const lost = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, mode: 'lost_response' });
    const unrecorded = await createApp(paas, smallApp(repo.url, { name: 'lost-reply' }));
    await waitFor(async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === lost.id)!.hits >= 1 ? true : undefined), 20_000, 10);
    await stack.cloud.removeFaultRule(lost.id);
    const refused = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, status: 409, code: 'capacity' });
    await waitForStatus(paas, unrecorded.id, 'FAILED');
    await stack.cloud.removeFaultRule(refused.id);
    expect((await stack.cloud.listVms()).filter((vm) => vm.name.includes(unrecorded.osName))).toEqual([]);
    expect((await paas.delete(`${V1}/app/${unrecorded.id}`)).status).toBe(200);
  } finally {
    await repo.remove();
    await bare.remove();
  }
}
