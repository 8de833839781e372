import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { readOwnerMark } from '../../lib/inventory';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { createApp, getApp, gitRepository, operationsOf, paasClient, smallApp, V1, V2, waitForStatus, type PaasClient } from './support';

/**
 * A media-server VM whose create answer was lost (simcloud's `lost_response`: the VM is made, the
 * reply never comes) and whose retry never succeeds: the operation's compensation finds the VM by
 * the app's owner mark and the media server's hostname (its name) and deletes it.
 * test/chaos/lost-reply.test.ts covers a deploy whose retry is refused; here, a deploy cancelled
 * while the retry waits in its backoff, and a scale-out whose retry is refused.
 */
let stack: Stack;
let paas: PaasClient;
let repo: Awaited<ReturnType<typeof gitRepository>>;

beforeAll(async () => {
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 10 } });
  paas = await paasClient(stack);
  repo = await gitRepository();
});
afterEach(async () => {
  await stack.cloud.clearFaults();
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

/** `createVm` does its work and loses the reply once; then every retry meets `then`. Resolves once both fired. */
async function loseReplyThen(then: { status: 503 } | { status: 409; code: 'capacity' }): Promise<void> {
  const hit = (id: string) => async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === id)!.hits >= 1 ? true : undefined);
  const lost = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, mode: 'lost_response' });
  await waitFor(hit(lost.id), 30_000, 10);
  // The activity retries after 500 ms: the next rule is in place well before.
  await stack.cloud.removeFaultRule(lost.id);
  const next = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, ...then });
  await waitFor(hit(next.id), 30_000, 10);
}

/** Live VMs carrying the app's owner mark. */
async function vmsOf(appId: string) {
  return (await stack.cloud.listVms()).filter((vm) => {
    const mark = readOwnerMark(stack.config.WORKFLOW_ID_PREFIX, vm.context);
    return mark?.resourceType === 'app' && mark.resourceId === appId;
  });
}

/** How the app's operation of `type` ended: its status name in Temporal. */
async function outcomeOf(appId: string, type: string): Promise<string> {
  const op = await waitFor(async () => (await operationsOf(stack, appId)).find((o) => o.workflow_type === type));
  const handle = stack.temporal.workflow.getHandle(op.workflow_id, op.run_id);
  await handle.result().catch(() => undefined);
  return (await handle.describe()).status.name;
}

it('a deploy cancelled while the VM create waits to retry removes the VM the cloud made', async () => {
  const retrying = loseReplyThen({ status: 503 });
  const app = await createApp(paas, smallApp(repo.url, { name: 'cancelled-in-backoff' }));
  await retrying;
  // The cloud made the VM; the platform never learned its id.
  expect(await vmsOf(app.id)).toHaveLength(1);
  const [deploy] = await operationsOf(stack, app.id);
  const admin = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
  expect((await stack.request(`/v1/operations/${deploy!.id}/cancel`, { method: 'POST', headers: { authorization: admin } })).status).toBe(202);

  expect(await outcomeOf(app.id, 'deployApp')).toBe('CANCELLED');
  expect(await vmsOf(app.id)).toEqual([]);
  const failed = await getApp(paas, app.id);
  expect(failed).toMatchObject({ status: 'FAILED', error: 'cancelled', mediaServerGroup: { hosts: [] } });
  expect((await paas.delete(`${V1}/app/${app.id}`)).status).toBe(200);
});

it('a scale-out whose VM create answer was lost, then refused, removes that VM and keeps the app as it was', async () => {
  const created = await createApp(paas, smallApp(repo.url, { name: 'scale-out-lost-reply', scaleOutLimit: 2 }));
  const running = await waitForStatus(paas, created.id, 'RUNNING');
  const before = await vmsOf(created.id);
  expect(before).toHaveLength(1);

  const refused = loseReplyThen({ status: 409, code: 'capacity' });
  expect((await paas.post(`${V2}/app/${created.id}/media-server`)).status).toBe(202);
  await refused;
  expect(await outcomeOf(created.id, 'scaleOutMediaServers')).toBe('FAILED');
  expect((await vmsOf(created.id)).map((vm) => vm.id)).toEqual(before.map((vm) => vm.id));
  const after = await getApp(paas, created.id);
  expect(after.status).toBe('RUNNING');
  expect(after.mediaServerGroup.hosts).toEqual(running.mediaServerGroup.hosts);
  await stack.cloud.clearFaults();
  expect((await paas.delete(`${V1}/app/${created.id}`)).status).toBe(200);
});
