/**
 * Kahu compute under chaos: an instance is created, started, given a volume, snapshotted, the
 * volume removed, stopped and deleted (up to 7 operations on `instance/<n>`). A step that fails
 * skips to stopping and deleting what is left.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { readOwnerMark } from '../../../lib/inventory';
import type { StepResult } from '../client';
import { moreThanOnce, type ChaosDriver, type DriverContext, type OwnedObject } from './types';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function auth(ctx: DriverContext, withForm = false): Record<string, string> {
  return { authorization: `Bearer ${ctx.client.credentials.token}`, ...(withForm ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
}

const ok = (r: StepResult) => r.outcome === 'completed' || r.outcome === 'done';

async function instanceByName(ctx: DriverContext, name: string): Promise<number | undefined> {
  const row = await ctx.db.selectFrom('instances').select('id').where('name', '=', name).orderBy('id').executeTakeFirst();
  return row?.id;
}

/** Stops (when it runs) and deletes one instance; true once it is gone. */
async function stopAndDelete(ctx: DriverContext, id: number): Promise<boolean> {
  const resource = `instance/${id}`;
  const base = `/v0/compute/instance/${id}/`;
  const row = await ctx.db.selectFrom('instances').select(['state', 'deleted_at']).where('id', '=', id).executeTakeFirst();
  if (!row || row.deleted_at) return true;
  if (row.state === 'running' || row.state === 'error') {
    await ctx.client.step('compute', { type: 'stopInstance', resource, method: 'POST', path: `${base}stop`, headers: auth(ctx), accept: [200, 202] });
  }
  const del = await ctx.client.step('compute', { type: 'deleteInstance', resource, method: 'DELETE', path: base, headers: auth(ctx), accept: [200, 202] });
  if (ok(del)) return true;
  const after = await ctx.db.selectFrom('instances').select('deleted_at').where('id', '=', id).executeTakeFirst();
  return !after || after.deleted_at !== null;
}

export const computeDriver: ChaosDriver = {
  surface: 'compute',

  async lifecycle(ctx, index) {
    const name = `${ctx.runId}-c${index}`;
    const create = await ctx.client.step('compute', {
      type: 'createInstance',
      method: 'POST',
      path: '/v0/compute/instance/',
      body: form({ profile: 'debian-jessie-amd64', size: '1cpu256mb', name }),
      headers: auth(ctx, true),
      cancellable: true,
      accept: [201, 202],
    });
    const fromAnswer = create.answer?.headers.get('location')?.match(/instance\/(\d+)/)?.[1];
    const id = fromAnswer !== undefined ? Number(fromAnswer) : await instanceByName(ctx, name);
    if (id === undefined || !ok(create)) return; // a failed create leaves nothing (its compensation discards the instance)
    const resource = `instance/${id}`;
    const base = `/v0/compute/instance/${id}/`;

    const start = await ctx.client.step('compute', { type: 'startInstance', resource, method: 'POST', path: `${base}start`, headers: auth(ctx), accept: [200, 202] });
    if (ok(start) && !ctx.stopping()) {
      const volume = await ctx.client.step('compute', {
        type: 'attachStorage',
        resource,
        method: 'POST',
        path: `${base}storage/`,
        body: form({ name: 'data', size: '512' }),
        headers: auth(ctx, true),
        accept: [201, 202],
      });
      await ctx.client.step('compute', {
        type: 'createSnapshot',
        resource,
        method: 'POST',
        path: `${base}snapshot/`,
        body: form({ name: 'snap' }),
        headers: auth(ctx, true),
        accept: [200, 202],
      });
      if (ok(volume)) {
        await ctx.client.step('compute', { type: 'detachStorage', resource, method: 'DELETE', path: `${base}storage/data/`, headers: auth(ctx), accept: [200, 202] });
      }
    }
    if (ctx.keep()) return;
    await stopAndDelete(ctx, id);
  },

  async cleanup(ctx, deadline) {
    let left: Array<{ id: number; state: string }> = [];
    while (Date.now() < deadline) {
      left = await ctx.db.selectFrom('instances').select(['id', 'state']).where('deleted_at', 'is', null).execute();
      if (!left.length) return [];
      await Promise.all(left.map((r) => stopAndDelete(ctx, r.id)));
      await pause(2_000);
    }
    return left.map((r) => `instance/${r.id} (${r.state})`);
  },

  async owned(ctx) {
    const live = await ctx.db.selectFrom('instances').select(['id', 'vm_id']).where('deleted_at', 'is', null).execute();
    const ids = live.map((r) => r.id);
    const out: OwnedObject[] = live.flatMap((r) => (r.vm_id ? [{ kind: 'vm' as const, id: r.vm_id, owner: `instance/${r.id}` }] : []));
    if (!ids.length) return out;
    const volumes = await ctx.db.selectFrom('instance_volumes').select(['instance_id', 'cloud_volume_id']).where('instance_id', 'in', ids).execute();
    const snapshots = await ctx.db.selectFrom('instance_snapshots').select(['instance_id', 'cloud_snapshot_id']).where('instance_id', 'in', ids).execute();
    for (const v of volumes) if (v.cloud_volume_id) out.push({ kind: 'volume', id: v.cloud_volume_id, owner: `instance/${v.instance_id}` });
    for (const s of snapshots) if (s.cloud_snapshot_id) out.push({ kind: 'snapshot', id: s.cloud_snapshot_id, owner: `instance/${s.instance_id}` });
    return out;
  },

  claims(obj, ctx) {
    if (obj.kind === 'vm') return readOwnerMark(ctx.cluster.workflowIdPrefix, obj.object.context)?.resourceType === 'instance' || obj.object.name.startsWith(`${ctx.runId}-c`);
    if (obj.kind === 'volume') return /^instance-\d+-/.test(obj.object.name);
    return obj.kind === 'snapshot';
  },

  async ownerOf(obj, ctx) {
    const vmId = obj.kind === 'vm' ? obj.object.id : obj.kind === 'snapshot' ? obj.object.vmId : obj.kind === 'volume' ? obj.object.vmId : undefined;
    const named = obj.kind === 'volume' ? /^instance-(\d+)-/.exec(obj.object.name)?.[1] : undefined;
    if (named) return `instance/${named}`;
    if (!vmId) return undefined;
    const row = await ctx.db.selectFrom('instances').select('id').where('vm_id', '=', vmId).executeTakeFirst();
    return row ? `instance/${row.id}` : undefined;
  },

  async duplicates(ctx, cloud) {
    const rows = await ctx.db.selectFrom('instances').select(['id', 'name', 'state']).where('name', 'like', `${ctx.runId}-c%`).execute();
    const prefix = ctx.cluster.workflowIdPrefix;
    return [
      // One create request (one Idempotency-Key, one unique name) → one instance.
      ...moreThanOnce(rows, (r) => r.name, (name, g) => `${name}: ${g.length} instances for one create request (${g.map((r) => `instance/${r.id} ${r.state}`).join(', ')})`),
      // One instance → one live VM.
      ...moreThanOnce(
        cloud.vms,
        (vm) => {
          const owner = readOwnerMark(prefix, vm.context);
          return owner?.resourceType === 'instance' ? `instance/${owner.resourceId}` : null;
        },
        (owner, g) => `${owner}: ${g.length} live VMs (${g.map((v) => v.id).join(', ')})`,
      ),
      ...moreThanOnce(cloud.volumes.filter((v) => /^instance-\d+-/.test(v.name)), (v) => v.name, (name, g) => `volume ${name}: ${g.length} live copies`),
      ...moreThanOnce(cloud.snapshots, (s) => `${s.vmId}/${s.name}`, (k, g) => `snapshot ${k}: ${g.length} live copies`),
    ];
  },

  async leftovers(ctx) {
    const rows = await ctx.db.selectFrom('instances').select(['id', 'state']).where('deleted_at', 'is', null).execute();
    return rows.map((r) => `instance/${r.id} (${r.state})`);
  },
};
