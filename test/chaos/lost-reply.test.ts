import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { readOwnerMark } from '../../lib/inventory';
import { createApp, gitRepository, paasClient, smallApp } from '../apps/support';
import { kahuSession } from '../support/kahu';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { srClient } from '../runtimes/support';

/**
 * A create whose answer is lost, then refused for good when retried: the cloud made the VM, the
 * platform never learned its id. The operation fails with the refusal's reason, and its
 * compensation must still remove the VM. Found by `npm run chaos` (a media-server VM left behind by
 * a failed deploy: `createVm` lost its reply, its retry met a capacity refusal; the deploy's
 * compensation only deleted VMs whose id it had recorded). The same happens when the operation is
 * cancelled while the retry waits in its backoff.
 *
 * Runtimes are fixed (createRuntime's compensation deletes the VM by its owner mark and name,
 * `deleteMarkedVms`). Compute and apps are handed to the engineers of those files and marked
 * `it.fails` until then: flip them to `it` with the fix.
 */
let stack: Stack;
let repo: Awaited<ReturnType<typeof gitRepository>> | undefined;

beforeAll(async () => {
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 10 } });
});
afterEach(async () => {
  await stack.cloud.clearFaults();
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

/** `createVm` does its work and loses the reply once; its retry is refused for capacity. Resolves once both fired. */
async function loseReplyThenRefuse(): Promise<void> {
  const lost = await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, mode: 'lost_response' });
  await waitFor(async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === lost.id)!.hits >= 1 ? true : undefined), 30_000, 10);
  // The activity retries after 500 ms: the refusal is in place well before.
  await stack.cloud.removeFaultRule(lost.id);
  await stack.cloud.addFaultRule({ operation: 'createVm', probability: 1, status: 409, code: 'capacity' });
}

async function operationOf(resource: string, type: string) {
  return waitFor(() => stack.db.selectFrom('operations').selectAll().where('resource_id', '=', resource).where('workflow_type', '=', type).executeTakeFirst(), 20_000);
}

async function failureOf(resource: string, type: string): Promise<string> {
  const op = await operationOf(resource, type);
  const handle = stack.temporal.workflow.getHandle(op.workflow_id, op.run_id);
  return handle.result().then(
    () => 'completed',
    (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
  );
}

/** Live VMs carrying the mark of `resource`. */
async function markedVms(resource: string) {
  return (await stack.cloud.listVms()).filter((vm) => {
    const mark = readOwnerMark(stack.config.WORKFLOW_ID_PREFIX, vm.context);
    return mark && `${mark.resourceType}/${mark.resourceId}` === resource;
  });
}

it('runtimes: a failed create removes the VM whose create answer was lost', async () => {
  const sr = srClient(stack);
  const refused = loseReplyThenRefuse();
  const res = await sr.post('/serverless-runtimes', { SERVERLESS_RUNTIME: { NAME: 'lost-reply', FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } });
  expect(res.status).toBe(201);
  const resource = `runtime/${(await res.json()).SERVERLESS_RUNTIME.ID}`;
  await refused;
  expect(await failureOf(resource, 'createRuntime')).toMatch(/capacity|injected fault/i);
  await sleep(500);
  expect(await markedVms(resource)).toEqual([]);
});

it('compute (handed over): a failed create removes the VM whose create answer was lost', async () => {
  const kahu = await kahuSession(stack);
  const refused = loseReplyThenRefuse();
  const res = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'lost-reply' }, { prefer: 'respond-async' });
  expect([201, 202]).toContain(res.status);
  const resource = `instance/${/instance\/(\d+)/.exec(res.headers.get('location')!)![1]}`;
  await refused;
  expect(await failureOf(resource, 'createInstance')).toMatch(/capacity|injected fault/i);
  await sleep(500);
  expect(await markedVms(resource)).toEqual([]);
});

it('apps (handed over): a failed deploy removes the media-server VM whose create answer was lost', async () => {
  repo = await gitRepository();
  const paas = await paasClient(stack);
  const refused = loseReplyThenRefuse();
  const app = await createApp(paas, smallApp(repo.url, { name: 'lost-reply' }));
  const resource = `app/${app.id}`;
  await refused;
  expect(await failureOf(resource, 'deployApp')).toMatch(/capacity|injected fault/i);
  await sleep(500);
  expect(await markedVms(resource)).toEqual([]);
});
