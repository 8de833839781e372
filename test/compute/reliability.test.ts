import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { syncHypervisors } from '../../workflows/compute';

let stack: Stack;
let kahu: KahuSession;

beforeAll(async () => {
  stack = await startStack({ simcloud: { seed: 42 } });
  kahu = await kahuSession(stack);
});
afterEach(async () => {
  await stack.cloud.clearFaults();
});
afterAll(async () => {
  await stack?.stop();
});

/** VMs simcloud still holds (not deleted) under an instance's name. */
async function liveVmsNamed(name: string) {
  // The test's own inventory reads go through the same fault rules: retry them.
  const vms = await waitFor(() => stack.cloud.listVms().catch(() => undefined));
  return vms.filter((vm) => vm.name === name && vm.state !== 'deleted');
}

async function activeInstances() {
  return stack.db.selectFrom('instances').select(['id', 'name', 'state']).where('deleted_at', 'is', null).execute();
}

describe('compute operations under failure', () => {
  it('a capacity failure answers 409 and leaves no instance and no VM behind', async () => {
    const admin = await kahu.post('/v0/compute/size/', { name: 'colossal', ncpu: '256', memory: '4000000' });
    expect(admin.status).toBe(201);
    const before = await activeInstances();
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: 'colossal', name: 'too-big' });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toBe('capacity');
    expect(body.message).toMatch(/capacity/i);
    expect(await activeInstances()).toEqual(before);
    expect(await liveVmsNamed('too-big')).toEqual([]);
    // The failed operation stays inspectable.
    const op = await platformClient(stack).get(body.details.operation);
    expect(await op.json()).toMatchObject({ status: 'failed', type: 'createInstance', error: { type: 'CapacityError' } });
  });

  it('a hypervisor that does not exist is a 400 and changes nothing', async () => {
    await stack.runWorkflow(syncHypervisors);
    const before = await activeInstances();
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', hypervisor: '/v0/hypervisor/instance/999' });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^hypervisor: /);
    expect(await activeInstances()).toEqual(before);
  });

  it('places an instance on the hypervisor asked for', async () => {
    await stack.runWorkflow(syncHypervisors);
    const hypervisors = await (await kahu.get('/v0/hypervisor/instance/')).json();
    expect(Object.keys(hypervisors).length).toBeGreaterThan(1);
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', hypervisor: '/v0/hypervisor/instance/1', name: 'pinned' });
    expect(res.status).toBe(201);
    const [vm] = await liveVmsNamed('pinned');
    const host = await stack.cloud.getHost(vm!.hostId);
    expect(host.index).toBe(1);
  });

  it('completes create, start, stop and delete with 30% of backend calls failing (errors and lost responses)', async () => {
    await stack.cloud.setSeed(7);
    await stack.cloud.addFaultRule({ operation: '*', resource: '*', probability: 0.2, status: 503 });
    await stack.cloud.addFaultRule({ operation: '*', resource: 'vm', probability: 0.1, mode: 'lost_response' });
    const names = ['flaky-a', 'flaky-b', 'flaky-c'];
    const created = await Promise.all(
      names.map((name) => kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name })),
    );
    for (const res of created) expect(res.status, await res.clone().text()).toBe(201);
    const locations = created.map((r) => r.headers.get('location')!);
    for (const name of names) expect(await liveVmsNamed(name)).toHaveLength(1);

    for (const loc of locations) expect((await kahu.post(`${loc}start`)).status).toBe(200);
    for (const loc of locations) expect((await (await kahu.get(loc)).json()).state).toBe('running');
    for (const loc of locations) expect((await kahu.post(`${loc}stop`)).status).toBe(200);
    for (const loc of locations) expect((await kahu.delete(loc)).status).toBe(200);
    for (const name of names) expect(await liveVmsNamed(name)).toEqual([]);
    const hits = (await stack.cloud.listFaultRules()).reduce((sum, r) => sum + r.hits, 0);
    expect(hits).toBeGreaterThan(0);
  });

  it('cancelling a running create leaves nothing behind', async () => {
    // Slow the VM create down so the cancel arrives while it is in flight.
    await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, latencyMs: 1500 });
    const res = await kahu.post(
      '/v0/compute/instance/',
      { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'cancel-me' },
      { prefer: 'respond-async' },
    );
    expect(res.status).toBe(202);
    const { operation } = await res.json();
    const location = res.headers.get('location')!;
    const platform = platformClient(stack);
    await waitFor(async () => {
      const op = await (await platform.get(operation)).json();
      return op.steps.find((s: { name: string; state: string }) => s.name === 'Allocate VM')?.state === 'running' ? true : undefined;
    });
    const cancel = await platform.post(`${operation}/cancel`);
    expect(cancel.status).toBe(202);
    const final = await waitFor(async () => {
      const op = await (await platform.get(operation)).json();
      return op.status === 'running' ? undefined : op;
    });
    expect(final.status).toBe('cancelled');
    expect(final.steps.find((s: { name: string }) => s.name === 'Allocate VM').state).toBe('compensated');
    expect((await kahu.get(location)).status).toBe(404);
    expect(await liveVmsNamed('cancel-me')).toEqual([]);
    // Cancelling again is a conflict: the operation is over.
    expect((await platform.post(`${operation}/cancel`)).status).toBe(409);
  });

  it('concurrent duplicate POSTs with one Idempotency-Key create one instance', async () => {
    const send = () =>
      kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'idem' }, { 'idempotency-key': 'create-idem-1' });
    const responses = await Promise.all([send(), send(), send(), send(), send()]);
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
    const locations = new Set(responses.map((r) => r.headers.get('location')));
    expect(locations.size).toBe(1);
    const bodies = new Set(await Promise.all(responses.map((r) => r.text())));
    expect(bodies.size).toBe(1);
    expect((await activeInstances()).filter((i) => i.name === 'idem')).toHaveLength(1);
    expect(await liveVmsNamed('idem')).toHaveLength(1);
    // The same key with another body is refused and changes nothing.
    const other = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '2cpu1gb', name: 'idem' }, { 'idempotency-key': 'create-idem-1' });
    expect(other.status).toBe(422);
    expect((await activeInstances()).filter((i) => i.name === 'idem')).toHaveLength(1);
  });

  it('a second mutation while one runs is refused with 409 naming the running operation', async () => {
    const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'busy' });
    const location = created.headers.get('location')!;
    await stack.cloud.addFaultRule({ operation: 'startVm', resource: 'vm', probability: 1, latencyMs: 1000 });
    const first = kahu.post(`${location}start`);
    await waitFor(async () => ((await (await kahu.get(location)).json()).state === 'starting' ? true : undefined));
    const second = await kahu.post(`${location}stop`);
    expect(second.status).toBe(409);
    expect((await second.json()).message).toMatch(/operation/);
    expect((await first).status).toBe(200);
  });
});
