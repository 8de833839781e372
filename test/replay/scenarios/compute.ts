import { expect } from 'vitest';
import { readOwnerMark } from '../../../lib/inventory';
import { kahuSession } from '../../support/kahu';
import { platformClient } from '../../support/platform';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';
import { syncHypervisors } from '../../../workflows/compute';

/**
 * Drives every compute workflow through the API, on the happy path and on its failure or
 * compensation path, so the recorder captures one history of each.
 */
export async function computeScenario(stack: Stack): Promise<void> {
  const kahu = await kahuSession(stack);
  await stack.runWorkflow(syncHypervisors);

  // Happy path: create, start (+ address watcher), storage, snapshot, detach, stop, delete.
  const created = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'rec-1' });
  expect(created.status).toBe(201);
  const loc = created.headers.get('location')!;
  expect((await kahu.post(`${loc}start`)).status).toBe(200);
  await waitFor(async () => ((await kahu.get(`${loc}network/default/address`)).status === 200 ? true : undefined));
  expect((await kahu.post(`${loc}storage/`, { name: 'data', size: '1024' })).status).toBe(201);
  expect((await kahu.post(`${loc}snapshot/`, { name: 'snap' })).status).toBe(200);
  expect((await kahu.delete(`${loc}storage/data`)).status).toBe(200);
  expect((await kahu.post(`${loc}stop`)).status).toBe(200);
  expect((await kahu.delete(loc)).status).toBe(200);

  // Failure paths: a create without capacity (compensated), a start whose VM crashes while
  // booting (compensated), a cancelled create, and failed storage/snapshot steps.
  expect((await kahu.post('/v0/compute/size/', { name: 'rec-colossal', ncpu: '256', memory: '4000000' })).status).toBe(201);
  expect((await kahu.post('/v0/compute/instance/', { profile: 'empty', size: 'rec-colossal' })).status).toBe(409);

  const second = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'rec-2' });
  const loc2 = second.headers.get('location')!;
  await stack.cloud.addFaultRule({ operation: 'createVolume', resource: 'volume', probability: 1, code: 'invalid', status: 400 });
  expect((await kahu.post(`${loc2}storage/`, { name: 'bad', size: '10' })).status).toBe(400);
  await stack.cloud.clearFaults();
  await stack.cloud.addFaultRule({ operation: 'createSnapshot', resource: 'snapshot', probability: 1, code: 'invalid', status: 400 });
  expect((await kahu.post(`${loc2}snapshot/`, { name: 'bad' })).status).toBe(400);
  await stack.cloud.clearFaults();
  await stack.cloud.addFaultRule({ operation: 'startVm', resource: 'vm', probability: 1, code: 'invalid', status: 400 });
  expect((await kahu.post(`${loc2}start`)).status).toBe(400);
  await stack.cloud.clearFaults();
  await stack.cloud.addFaultRule({ operation: 'stopVm', resource: 'vm', probability: 1, code: 'invalid', status: 400 });
  expect((await kahu.post(`${loc2}start`)).status).toBe(200);
  expect((await kahu.post(`${loc2}stop`)).status).toBe(400);
  await stack.cloud.clearFaults();
  expect((await kahu.post(`${loc2}stop`)).status).toBe(200);
  await stack.cloud.addFaultRule({ operation: 'deleteVm', resource: 'vm', probability: 1, code: 'invalid', status: 400 });
  expect((await kahu.delete(loc2)).status).toBe(400);
  await stack.cloud.clearFaults();
  expect((await kahu.delete(loc2)).status).toBe(200);

  await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, latencyMs: 1000 });
  const slow = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'rec-3' }, { prefer: 'respond-async' });
  const { operation } = await slow.json();
  const platform = platformClient(stack);
  await waitFor(async () => {
    const op = await (await platform.get(operation)).json();
    return op.steps.find((s: { name: string; state: string }) => s.name === 'Allocate VM')?.state === 'running' ? true : undefined;
  });
  expect((await platform.post(`${operation}/cancel`)).status).toBe(202);
  await waitFor(async () => ((await (await platform.get(operation)).json()).status === 'cancelled' ? true : undefined));
  await stack.cloud.clearFaults();

  // Creates whose VM id was never recorded: the cloud made the VM and lost the answer, then the
  // retry was refused for good, or the operation was cancelled in the retry's backoff. Their
  // compensation finds the VM by its owner mark and name. Last, so the recorder keeps these runs.
  await createWithLostReply(stack, 'rec-lost-refused', async (instanceOperation) => {
    await stack.cloud.clearFaults();
    await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, status: 409, code: 'capacity' });
    await waitFor(async () => ((await (await platform.get(instanceOperation)).json()).status === 'failed' ? true : undefined));
  });
  await createWithLostReply(stack, 'rec-lost-cancelled', async (instanceOperation) => {
    expect((await platform.post(`${instanceOperation}/cancel`)).status).toBe(202);
    await waitFor(async () => ((await (await platform.get(instanceOperation)).json()).status === 'cancelled' ? true : undefined));
  });
}

/**
 * Starts a create whose `createVm` answers are lost; once the cloud made the VM, `end` fails or
 * cancels the operation. Checks that no VM of the instance is left behind.
 */
async function createWithLostReply(stack: Stack, name: string, end: (operation: string) => Promise<void>): Promise<void> {
  const kahu = await kahuSession(stack);
  const lost = await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, mode: 'lost_response' });
  const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name }, { prefer: 'respond-async' });
  expect(res.status).toBe(202);
  const resource = `instance/${/instance\/(\d+)/.exec(res.headers.get('location')!)![1]}`;
  const { operation } = await res.json();
  await waitFor(async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === lost.id)!.hits >= 1 ? true : undefined), 30_000, 10);
  await end(operation);
  await stack.cloud.clearFaults();
  const left = (await stack.cloud.listVms()).filter((vm) => {
    const mark = readOwnerMark(stack.config.WORKFLOW_ID_PREFIX, vm.context);
    return vm.state !== 'deleted' && mark !== null && `${mark.resourceType}/${mark.resourceId}` === resource;
  });
  expect(left).toEqual([]);
}
