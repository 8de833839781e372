/**
 * Serverless runtimes under chaos: a FaaS runtime is created (until RUNNING), updated (renamed and
 * resized live, CPU and memory doubled, disk grown) and deleted: 3 operations on `runtime/<id>`.
 * A runtime whose create or update failed is deleted all the same.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { readOwnerMark } from '../../../lib/inventory';
import type { StepResult } from '../client';
import { moreThanOnce, type ChaosDriver, type DriverContext, type OwnedObject } from './types';

const headers = (ctx: DriverContext) => ({ authorization: `Basic ${ctx.client.credentials.basic}`, 'content-type': 'application/json' });
const ok = (r: StepResult) => r.outcome === 'completed' || r.outcome === 'done';

const spec = (name: string, size: { CPU: number; MEMORY: number; DISK_SIZE: number }) =>
  JSON.stringify({ SERVERLESS_RUNTIME: { NAME: name, FAAS: { FLAVOUR: 'nature', ...size }, SCHEDULING: {}, DEVICE_INFO: {} } });

async function remove(ctx: DriverContext, id: number): Promise<boolean> {
  const del = await ctx.client.step('runtimes', {
    type: 'deleteRuntime',
    resource: `runtime/${id}`,
    method: 'DELETE',
    path: `/serverless-runtimes/${id}`,
    headers: headers(ctx),
    accept: [202, 204],
  });
  if (ok(del)) return true;
  const row = await ctx.db.selectFrom('runtimes').select('deleted_at').where('id', '=', id).executeTakeFirst();
  return !row || row.deleted_at !== null;
}

export const runtimeDriver: ChaosDriver = {
  surface: 'runtimes',

  async lifecycle(ctx, index) {
    const name = `${ctx.runId}-r${index}`;
    const create = await ctx.client.step('runtimes', {
      type: 'createRuntime',
      method: 'POST',
      path: '/serverless-runtimes',
      body: spec(name, { CPU: 1, MEMORY: 128, DISK_SIZE: 1024 }),
      headers: headers(ctx),
      cancellable: true,
      accept: [201],
    });
    let id: number | undefined = create.answer?.body?.SERVERLESS_RUNTIME?.ID;
    id ??= (await ctx.db.selectFrom('runtimes').select('id').where('name', '=', name).executeTakeFirst())?.id;
    if (id === undefined) return;
    if (ok(create) && !ctx.stopping()) {
      await ctx.client.step('runtimes', {
        type: 'updateRuntime',
        resource: `runtime/${id}`,
        method: 'PUT',
        path: `/serverless-runtimes/${id}`,
        body: spec(`${name}-u`, { CPU: 2, MEMORY: 256, DISK_SIZE: 2048 }),
        headers: headers(ctx),
        accept: [200, 202],
      });
    }
    if (ctx.keep()) return;
    await remove(ctx, id);
  },

  async cleanup(ctx, deadline) {
    let left: Array<{ id: number; status: string }> = [];
    while (Date.now() < deadline) {
      left = await ctx.db.selectFrom('runtimes').select(['id', 'status']).where('deleted_at', 'is', null).execute();
      if (!left.length) return [];
      await Promise.all(left.map((r) => remove(ctx, r.id)));
      await pause(2_000);
    }
    return left.map((r) => `runtime/${r.id} (${r.status})`);
  },

  async owned(ctx) {
    const rows = await ctx.db
      .selectFrom('runtime_functions as f')
      .innerJoin('runtimes as r', 'r.id', 'f.runtime_id')
      .select(['r.id', 'f.cloud_vm_id'])
      .where('r.deleted_at', 'is', null)
      .execute();
    return rows.flatMap((r): OwnedObject[] => (r.cloud_vm_id ? [{ kind: 'vm', id: r.cloud_vm_id, owner: `runtime/${r.id}` }] : []));
  },

  claims(obj, ctx) {
    if (obj.kind !== 'vm') return false;
    return readOwnerMark(ctx.cluster.workflowIdPrefix, obj.object.context)?.resourceType === 'runtime' || /^sr-\d+-/.test(obj.object.name) || obj.object.name.startsWith(`${ctx.runId}-r`);
  },

  async duplicates(ctx, cloud) {
    const rows = await ctx.db.selectFrom('runtimes').select(['id', 'name', 'status']).where('name', 'like', `${ctx.runId}-r%`).execute();
    // A runtime's VMs: named sr-<id>-<role> when created, renamed by an update; the mark says whose.
    const prefix = ctx.cluster.workflowIdPrefix;
    const functionOf = (vm: (typeof cloud.vms)[number]) => {
      const owner = readOwnerMark(prefix, vm.context);
      if (owner?.resourceType !== 'runtime') return null;
      const role = /\((FAAS|DAAS)\)$/.exec(vm.name)?.[1] ?? /^sr-\d+-(faas|daas)$/.exec(vm.name)?.[1]?.toUpperCase() ?? '?';
      return `runtime/${owner.resourceId} ${role}`;
    };
    return [
      ...moreThanOnce(rows, (r) => r.name.replace(/-u$/, ''), (name, g) => `${name}: ${g.length} runtimes for one create request (${g.map((r) => `runtime/${r.id} ${r.status}`).join(', ')})`),
      ...moreThanOnce(cloud.vms, functionOf, (fn, g) => `${fn}: ${g.length} live VMs (${g.map((v) => v.id).join(', ')})`),
    ];
  },

  async leftovers(ctx) {
    const rows = await ctx.db.selectFrom('runtimes').select(['id', 'status']).where('deleted_at', 'is', null).execute();
    return rows.map((r) => `runtime/${r.id} (${r.status})`);
  },
};
