import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { cloudVmOf, createRuntime, getRuntime, operationsOf, srClient, supervisorId, supervisorOf, waitForState, type SrClient } from './support';
import { historyText } from '../support/history-text';

let stack: Stack;
let sr: SrClient;

beforeAll(async () => {
  process.env.RUNTIME_SUPERVISOR_INTERVAL_MS = '100';
  process.env.RUNTIME_RECOVERY_DELAY_MS = '50';
  stack = await startStack();
  sr = srClient(stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe('the seed examples through the API', () => {
  it('creates the minimal FaaS runtime: 201 PENDING at once, then RUNNING with an endpoint', async () => {
    const res = await sr.post('/serverless-runtimes', { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } });
    expect(res.status).toBe(201);
    const body = await res.json();
    const created = body.SERVERLESS_RUNTIME;
    expect(Object.keys(created)).toEqual(['NAME', 'ID', 'FAAS', 'SCHEDULING', 'DEVICE_INFO', 'SERVICE_ID']);
    expect(created.NAME).toMatch(/^nature_[0-9a-f-]{36}$/);
    expect(created.FAAS).toEqual({ FLAVOUR: 'nature', VM_ID: expect.any(Number), STATE: 'PENDING', ENDPOINT: '', CPU: 1, MEMORY: 768, DISK_SIZE: 1024 });
    expect(res.headers.get('location')).toBe(`/serverless-runtimes/${created.ID}`);
    expect(res.headers.get('operation-location')).toMatch(/^\/v1\/operations\//);

    const running = await waitForState(sr, created.ID, 'RUNNING');
    expect(running.FAAS.VM_ID).toBe(created.FAAS.VM_ID);
    expect(running.FAAS.ENDPOINT).toMatch(/\d+\.\d+\.\d+\.\d+|:/);
    expect(running.FAAS.ERROR).toBeUndefined();

    // SR_AUTH reaches the VM context, and nowhere in the workflow history.
    const vm = (await cloudVmOf(stack, created.ID))!;
    expect(vm).toMatchObject({ state: 'running', cpu: 1, memoryMb: 768, diskMb: 1024 });
    const srAuth = Buffer.from('admin:admin').toString('base64');
    expect(vm.context.SR_AUTH).toBe(srAuth);
    const [op] = await operationsOf(stack, created.ID);
    const history = await stack.temporal.workflow.getHandle(op!.workflow_id, op!.run_id).fetchHistory();
    const text = historyText(history); // payloads decoded, so the search reaches activity inputs and results
    expect(text).toContain(`"runtimeId":${created.ID}`);
    expect(text).not.toContain(srAuth);
    const row = await stack.db.selectFrom('runtimes').select('auth_sealed').where('id', '=', created.ID).executeTakeFirstOrThrow();
    expect(row.auth_sealed).not.toContain(srAuth);

    // The supervisor watches it, under its own workflow ID.
    const { description } = await supervisorOf(stack, created.ID);
    expect(description.status.name).toBe('RUNNING');
  });

  it('creates FaaS + DaaS with capacity, gets it, updates it in place, and deletes it', async () => {
    const created = await createRuntime(sr, {
      NAME: 'Function and Data as a Service',
      FAAS: { CPU: 2, MEMORY: 133, DISK_SIZE: 1025, FLAVOUR: 'Function' },
      DAAS: { CPU: 3, MEMORY: 197, DISK_SIZE: 1337, FLAVOUR: 'Data' },
      SCHEDULING: {},
      DEVICE_INFO: {},
    });
    expect(created).toMatchObject({
      NAME: 'Function and Data as a Service',
      FAAS: { FLAVOUR: 'Function', STATE: 'PENDING', CPU: 2, MEMORY: 133, DISK_SIZE: 1025, ENDPOINT: '' },
      DAAS: { FLAVOUR: 'Data', STATE: 'PENDING', CPU: 3, MEMORY: 197, DISK_SIZE: 1337, ENDPOINT: '' },
    });
    expect(created.DAAS.VM_ID).not.toBe(created.FAAS.VM_ID);
    await waitForState(sr, created.ID, 'RUNNING');

    const res = await sr.put(`/serverless-runtimes/${created.ID}`, {
      SERVERLESS_RUNTIME: { NAME: 'Function as a Service', FAAS: { FLAVOUR: 'Function', CPU: 3, MEMORY: 177, DISK_SIZE: 1338 } },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const updated = (await res.json()).SERVERLESS_RUNTIME;
    expect(updated).toMatchObject({
      NAME: 'Function as a Service',
      ID: created.ID,
      SERVICE_ID: created.SERVICE_ID,
      FAAS: { FLAVOUR: 'Function', VM_ID: created.FAAS.VM_ID, STATE: 'RUNNING', CPU: 3, MEMORY: 177, DISK_SIZE: 1338 },
      DAAS: { VM_ID: created.DAAS.VM_ID, STATE: 'RUNNING', CPU: 3, MEMORY: 197, DISK_SIZE: 1337 },
    });
    const vm = (await cloudVmOf(stack, created.ID))!;
    expect(vm).toMatchObject({ state: 'running', cpu: 3, memoryMb: 177, diskMb: 1338, name: 'Function as a Service (FAAS)' });
    const ops = await operationsOf(stack, created.ID);
    expect(ops.map((o) => o.workflow_type)).toEqual(['createRuntime', 'updateRuntime']);

    const faasVm = vm.id;
    const daasVm = (await cloudVmOf(stack, created.ID, 'DAAS'))!.id;
    await supervisorOf(stack, created.ID);
    const del = await sr.delete(`/serverless-runtimes/${created.ID}`);
    expect(del.status).toBe(204);
    expect((await sr.get(`/serverless-runtimes/${created.ID}`)).status).toBe(404);
    for (const id of [faasVm, daasVm]) expect((await stack.cloud.getVm(id)).state).toBe('deleted');
    const sup = await stack.temporal.workflow.getHandle(supervisorId(stack, created.ID)).describe();
    expect(['CANCELLED', 'COMPLETED']).toContain(sup.status.name);
  });
});

describe('update', () => {
  let id: number;
  beforeAll(async () => {
    id = (await createRuntime(sr, { FAAS: { FLAVOUR: 'Function', CPU: 2, MEMORY: 256 }, SCHEDULING: {}, DEVICE_INFO: {} })).ID;
    await waitForState(sr, id, 'RUNNING');
  });

  it('answers 400 for a resize beyond twice the created size, and changes nothing', async () => {
    const res = await sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', CPU: 5, MEMORY: 600 } } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('Invalid Serverless Runtime update');
    expect(body.message).toContain('FAAS.CPU: 5 is beyond the maximum 4');
    expect(body.message).toContain('FAAS.MEMORY: 600 is beyond the maximum 512');
    const shrink = await sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', DISK_SIZE: 10 } } });
    expect(shrink.status).toBe(400);
    expect((await getRuntime(sr, id)).FAAS).toMatchObject({ CPU: 2, MEMORY: 256, STATE: 'RUNNING' });
    expect((await operationsOf(stack, id)).length).toBe(1);
  });

  it('resizes up to exactly the limit; a PUT with no change answers at once', async () => {
    const res = await sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', CPU: 4, MEMORY: 512 } } });
    expect(res.status).toBe(200);
    expect((await res.json()).SERVERLESS_RUNTIME.FAAS).toMatchObject({ CPU: 4, MEMORY: 512, STATE: 'RUNNING' });
    const again = await sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', CPU: 4, MEMORY: 512 } } });
    expect(again.status).toBe(200);
    expect((await operationsOf(stack, id)).length).toBe(2);
  });

  it('reschedules onto the most suitable host when SCHEDULING or DEVICE_INFO change (a real migration)', async () => {
    const before = (await cloudVmOf(stack, id))!;
    const region = before.region;
    const res = await sr.put(`/serverless-runtimes/${id}`, {
      SERVERLESS_RUNTIME: {
        FAAS: { FLAVOUR: 'Function' },
        SCHEDULING: { POLICY: 'latency', REQUIREMENTS: `ZONE=${region}-b` },
        DEVICE_INFO: { LATENCY_TO_PE: 7, GEOGRAPHIC_LOCATION: 'Madrid' },
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()).SERVERLESS_RUNTIME;
    expect(body.SCHEDULING).toEqual({ POLICY: 'latency', REQUIREMENTS: `ZONE=${region}-b` });
    expect(body.DEVICE_INFO).toEqual({ LATENCY_TO_PE: 7, GEOGRAPHIC_LOCATION: 'Madrid' });
    expect(body.FAAS.STATE).toBe('RUNNING');
    const after = (await cloudVmOf(stack, id))!;
    expect(after.id).toBe(before.id);
    expect(after.hostId).not.toBe(before.hostId);
    const host = await stack.cloud.getHost(after.hostId);
    expect(host.labels.ZONE).toBe(`${region}-b`);
    expect(after.context).toMatchObject({ GEOGRAPHIC_LOCATION: 'Madrid', LATENCY_TO_PE: '7' });
    expect(JSON.parse(after.context.DEVICE_INFO!)).toEqual({ LATENCY_TO_PE: 7, GEOGRAPHIC_LOCATION: 'Madrid' });
  });

  it('lets one of two concurrent PUTs win; the other gets 423', async () => {
    const [a, b] = await Promise.all([
      sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { NAME: 'first', FAAS: { FLAVOUR: 'Function' } } }),
      sr.put(`/serverless-runtimes/${id}`, { SERVERLESS_RUNTIME: { NAME: 'second', FAAS: { FLAVOUR: 'Function' } } }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 423]);
    const loser = a.status === 423 ? a : b;
    const body = await loser.json();
    expect(body.error).toBe(`Cannot update Serverless Runtime ${id} on a transient state`);
    const winner = a.status === 200 ? 'first' : 'second';
    expect((await getRuntime(sr, id)).NAME).toBe(winner);
  });
});

describe('deploy failure', () => {
  it('compensates: the VM already created is deleted, no VM is left, and the runtime shows the failure', async () => {
    const created = await createRuntime(sr, {
      NAME: 'too big',
      FAAS: { FLAVOUR: 'Function' },
      DAAS: { FLAVOUR: 'Data', CPU: 1000 },
    });
    const failed = await waitForState(sr, created.ID, 'ERROR');
    expect(failed.FAAS.ERROR).toMatch(/^Deployment failed: .*no host/);
    expect(failed.DAAS.ERROR).toMatch(/^Deployment failed/);
    const live = (await stack.cloud.listVms()).filter((v) => v.name.startsWith(`sr-${created.ID}-`));
    expect(live).toEqual([]);
    const deleted = (await stack.cloud.listVms({ state: 'deleted' })).filter((v) => v.name.startsWith(`sr-${created.ID}-`));
    expect(deleted.map((v) => v.name)).toEqual([`sr-${created.ID}-faas`]);
    const rows = await stack.db.selectFrom('runtime_functions').select('cloud_vm_id').where('runtime_id', '=', created.ID).execute();
    expect(rows.every((r) => r.cloud_vm_id === null)).toBe(true);
    // No supervisor for a runtime that never ran; it can still be deleted.
    await expect(stack.temporal.workflow.getHandle(supervisorId(stack, created.ID)).describe()).rejects.toThrow();
    expect((await sr.delete(`/serverless-runtimes/${created.ID}`)).status).toBe(204);
  });

  it('answers 423 to PUT and DELETE while the deploy is PENDING', async () => {
    const created = await createRuntime(sr, { FAAS: { FLAVOUR: 'Function' } });
    const put = await sr.put(`/serverless-runtimes/${created.ID}`, { SERVERLESS_RUNTIME: { NAME: 'x', FAAS: { FLAVOUR: 'Function' } } });
    expect(put.status).toBe(423);
    expect(await put.json()).toMatchObject({ error: `Cannot update Serverless Runtime ${created.ID} on a transient state`, message: 'FAAS is PENDING' });
    const del = await sr.delete(`/serverless-runtimes/${created.ID}`);
    expect(del.status).toBe(423);
    expect((await del.json()).error).toBe(`Cannot delete Serverless Runtime ${created.ID} on a transient state`);
    await waitForState(sr, created.ID, 'RUNNING');
    await waitFor(async () => ((await sr.delete(`/serverless-runtimes/${created.ID}`)).status === 204 ? true : undefined));
  });
});

describe('update failure', () => {
  it('UPDATING → ERROR when the host has no room to grow; a PUT then recovers it to RUNNING', async () => {
    const created = await createRuntime(sr, { FAAS: { FLAVOUR: 'Function', CPU: 40 } });
    await waitForState(sr, created.ID, 'RUNNING');
    const vm = (await cloudVmOf(stack, created.ID))!;
    const res = await sr.put(`/serverless-runtimes/${created.ID}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', CPU: 70 } } });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toBe(`Failed to update Serverless Runtime ${created.ID}`);
    expect(body.message).toMatch(/no room/);
    const failed = await getRuntime(sr, created.ID);
    expect(failed.FAAS).toMatchObject({ STATE: 'ERROR', CPU: 40, ERROR: expect.stringMatching(/^Update failed: .*no room/) });
    expect((await stack.cloud.getVm(vm.id)).cpu).toBe(40);
    const recovered = await sr.put(`/serverless-runtimes/${created.ID}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function' } } });
    expect(recovered.status).toBe(200);
    expect((await recovered.json()).SERVERLESS_RUNTIME.FAAS).toMatchObject({ STATE: 'RUNNING', CPU: 40 });
    expect((await operationsOf(stack, created.ID)).map((o) => o.workflow_type)).toEqual(['createRuntime', 'updateRuntime', 'recoverRuntime']);
  });
});
