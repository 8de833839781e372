import { ApplicationFailure } from '@temporalio/common';
import { CloudError, type Vm } from '../cloud/contract';
import type { InstanceState } from '../db/compute';
import { ownerMark } from '../lib/inventory';
import { OperationInProgressError, startOperation } from '../lib/operations';
import { followInstanceVm } from '../workflows/compute';
import type { ActivityDeps } from './deps';
import { cloudCall, existingVm } from './support/cloud-errors';
import { awaitRecorded } from './support/records';

export interface InstanceRef {
  instanceId: number;
}

/** States an out-of-band event can change: operations own the others (building, starting, stopping, deleting). */
export const SUPERVISED_STATES = ['running', 'stopped', 'error'] as const satisfies readonly InstanceState[];
type SupervisedState = (typeof SUPERVISED_STATES)[number];

/** An instance whose recorded state no longer matches its VM. */
export interface InstanceDrift {
  instanceId: number;
  projectId: string;
  vmId: string;
  from: InstanceState;
  to: SupervisedState;
  reason: string | null;
}

/** What the instance's state should be, given its VM; null while the VM is between states. */
export function stateFollowing(vmId: string, vm: Vm | null): { state: SupervisedState; error: string | null } | null {
  if (!vm) return { state: 'error', error: `VM ${vmId} vanished from the cloud` };
  switch (vm.state) {
    case 'running':
      return { state: 'running', error: null };
    case 'stopped':
      return { state: 'stopped', error: null };
    case 'error':
      return { state: 'error', error: vm.error ?? 'VM failed' };
    default:
      return null;
  }
}

/** Compute (Kahu) side effects: the instance rows in Postgres and their VMs, volumes and snapshots. */
export function createComputeActivities(deps: ActivityDeps) {
  const { db, cloud, config } = deps;
  async function instanceRow(instanceId: number) {
    const row = await db.selectFrom('instances').selectAll().where('id', '=', instanceId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`instance ${instanceId} does not exist`, 'NotFound');
    return row;
  }

  /** The mark the orphan sweeper knows the instance's VM, volumes and snapshots by (lib/inventory.ts). */
  const instanceMark = (row: { id: number; project_id: string }) =>
    ownerMark(config.WORKFLOW_ID_PREFIX, { resourceType: 'instance', resourceId: String(row.id), projectId: row.project_id });

  /** The instance's VM, and the mark what is created for it carries. */
  async function vmOf(instanceId: number): Promise<{ vmId: string; mark: Record<string, string> }> {
    const row = await instanceRow(instanceId);
    if (!row.vm_id) throw ApplicationFailure.nonRetryable(`instance ${instanceId} has no VM`, 'NotFound');
    return { vmId: row.vm_id, mark: instanceMark(row) };
  }

  async function vmIdOf(instanceId: number): Promise<string> {
    return (await vmOf(instanceId)).vmId;
  }

  return {
    /**
     * Creates the instance's VM (stopped once built). The client token makes a retry after a
     * crash or a lost reply return the VM created the first time instead of a second one.
     */
    async createInstanceVm({ instanceId, clientToken }: InstanceRef & { clientToken: string }): Promise<{ vmId: string; hostId: string }> {
      // The first step of a create: its row may commit a moment after the run starts (support/records.ts).
      const row = await awaitRecorded(deps, () => db.selectFrom('instances').selectAll().where('id', '=', instanceId).executeTakeFirst(), `instance ${instanceId}`);
      let hostId: string | undefined;
      if (row.hypervisor !== null) {
        const hosts = await cloudCall(() => cloud.listHosts());
        const host = hosts.find((h) => h.index === row.hypervisor);
        if (!host) throw ApplicationFailure.nonRetryable(`hypervisor ${row.hypervisor} does not exist`, 'InvalidRequest');
        hostId = host.id;
      }
      const disks = await db
        .selectFrom('instance_volumes')
        .select(['size'])
        .where('instance_id', '=', instanceId)
        .where('cloud_volume_id', 'is', null)
        .execute();
      const vm = await cloudCall(() =>
        cloud.createVm({
          clientToken,
          name: vmNameOf(row),
          cpu: row.ncpu,
          memoryMb: row.memory,
          diskMb: Math.max(1, disks.reduce((sum, d) => sum + d.size, 0)),
          hostId,
          context: {
            ...(row.ssh_key ? { SSH_PUBLIC_KEY: row.ssh_key } : {}),
            ...instanceMark(row),
          },
        }),
      );
      await db.updateTable('instances').set({ vm_id: vm.id, host_id: vm.hostId, updated_at: new Date() }).where('id', '=', instanceId).execute();
      return { vmId: vm.id, hostId: vm.hostId };
    },

    async setInstanceState({ instanceId, state, error }: InstanceRef & { state: InstanceState; error?: string | null }): Promise<void> {
      await db
        .updateTable('instances')
        .set({ state, error: error ?? null, updated_at: new Date(), ...(state === 'stopped' || state === 'stopping' ? { ipv4: null } : {}) })
        .where('id', '=', instanceId)
        .execute();
    },

    /** Brings the instance's recorded state back in line with its VM, after a failed start or stop. */
    async syncInstanceState({ instanceId }: InstanceRef): Promise<InstanceState> {
      const row = await instanceRow(instanceId);
      if (!row.vm_id) return row.state;
      const vm = await cloudCall(() => cloud.getVm(row.vm_id!));
      const state: InstanceState = vm.state; // the VM's lifecycle states are a subset of the instance's
      await db.updateTable('instances').set({ state, error: vm.error, updated_at: new Date() }).where('id', '=', instanceId).execute();
      return state;
    },

    /** Compensation of a failed or cancelled create: the instance disappears as if never created. */
    async discardInstance({ instanceId }: InstanceRef): Promise<void> {
      await db.deleteFrom('instance_volumes').where('instance_id', '=', instanceId).execute();
      await db
        .updateTable('instances')
        .set({ state: 'deleted', deleted_at: new Date(), updated_at: new Date() })
        .where('id', '=', instanceId)
        .execute();
    },

    /** Powers the VM on; a VM that crashed (instance in error) is rebooted on its host, when that host is up. */
    async startInstanceVm({ instanceId }: InstanceRef): Promise<string> {
      const row = await instanceRow(instanceId);
      if (!row.vm_id) throw ApplicationFailure.nonRetryable(`instance ${instanceId} has no VM`, 'NotFound');
      const vmId = row.vm_id;
      try {
        await cloudCall(() => cloud.startVm(vmId, { ...prefixed('hw.', row.hw), ...prefixed('console.', row.console) }));
      } catch (err) {
        if (!(err instanceof CloudError && err.code === 'conflict')) throw err;
        const vm = await cloudCall(() => cloud.getVm(vmId));
        const host = await cloudCall(() => cloud.getHost(vm.hostId));
        if (host.state !== 'up') {
          throw ApplicationFailure.nonRetryable(
            `instance ${instanceId} cannot start: its host ${host.name} is down${vm.error ? ` (${vm.error})` : ''}`,
            'InvalidRequest',
          );
        }
        if (vm.state !== 'error') throw err; // building or stopping: retried
        await cloudCall(() => cloud.rebootVm(vmId));
      }
      return vmId;
    },

    async stopInstanceVm({ instanceId }: InstanceRef): Promise<string> {
      const vmId = await vmIdOf(instanceId);
      await cloudCall(() => cloud.stopVm(vmId));
      return vmId;
    },

    async setInstanceAddress({ instanceId, vmId, ipv4 }: InstanceRef & { vmId: string; ipv4: string | null }): Promise<void> {
      // Only while the instance still runs on that VM: a stop in between has cleared it on purpose.
      await db
        .updateTable('instances')
        .set({ ipv4 })
        .where('id', '=', instanceId)
        .where('vm_id', '=', vmId)
        .where('state', '=', 'running')
        .execute();
    },

    /**
     * Cloud volume and snapshot ids to release before the instance's VM goes; and the VM's name,
     * which finds a VM whose id was never recorded (a create whose answer was lost).
     */
    async instanceCloudResources({
      instanceId,
    }: InstanceRef): Promise<{ vmId: string | null; vmName: string | null; volumeIds: string[]; snapshotIds: string[] }> {
      const row = await db.selectFrom('instances').select(['vm_id', 'name']).where('id', '=', instanceId).executeTakeFirst();
      // No row: a create whose request died before recording it; it owns nothing.
      if (!row) return { vmId: null, vmName: null, volumeIds: [], snapshotIds: [] };
      const volumes = await db.selectFrom('instance_volumes').select('cloud_volume_id').where('instance_id', '=', instanceId).execute();
      const snapshots = await db.selectFrom('instance_snapshots').select('cloud_snapshot_id').where('instance_id', '=', instanceId).execute();
      return {
        vmId: row.vm_id,
        vmName: vmNameOf(row),
        volumeIds: volumes.flatMap((v) => (v.cloud_volume_id ? [v.cloud_volume_id] : [])),
        snapshotIds: snapshots.flatMap((s) => (s.cloud_snapshot_id ? [s.cloud_snapshot_id] : [])),
      };
    },

    async recordInstanceDeleted({ instanceId }: InstanceRef): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('instance_snapshots').where('instance_id', '=', instanceId).execute();
        await tx.deleteFrom('instance_volumes').where('instance_id', '=', instanceId).execute();
        await tx
          .updateTable('instances')
          .set({ state: 'deleted', deleted_at: new Date(), ipv4: null, updated_at: new Date() })
          .where('id', '=', instanceId)
          .execute();
      });
    },

    async createInstanceSnapshot({ instanceId, name, clientToken }: InstanceRef & { name: string; clientToken: string }): Promise<string> {
      // The first step of a create: its row may commit a moment after the run starts (support/records.ts).
      // It is awaited before anything can fail, so a run that was never recorded never reaches its undo steps.
      await awaitRecorded(
        deps,
        () => db.selectFrom('instance_snapshots').select('name').where('instance_id', '=', instanceId).where('name', '=', name).executeTakeFirst(),
        `snapshot ${name} of instance ${instanceId}`,
      );
      const { vmId, mark } = await vmOf(instanceId);
      const snapshot = await cloudCall(() => cloud.createSnapshot({ clientToken, vmId, name, labels: mark }));
      await db
        .updateTable('instance_snapshots')
        .set({ cloud_snapshot_id: snapshot.id })
        .where('instance_id', '=', instanceId)
        .where('name', '=', name)
        .execute();
      return snapshot.id;
    },

    async markSnapshotAvailable({ instanceId, name }: InstanceRef & { name: string }): Promise<void> {
      await db.updateTable('instance_snapshots').set({ state: 'available' }).where('instance_id', '=', instanceId).where('name', '=', name).execute();
    },

    async removeSnapshotRecord({ instanceId, name }: InstanceRef & { name: string }): Promise<void> {
      await db.deleteFrom('instance_snapshots').where('instance_id', '=', instanceId).where('name', '=', name).execute();
    },

    /** Creates the volume (blank, or imported from the upload) attached to the instance's VM. */
    async createInstanceVolume({ instanceId, name, clientToken }: InstanceRef & { name: string; clientToken: string }): Promise<string> {
      // The first step of a create: its row may commit a moment after the run starts (support/records.ts).
      // It is awaited before anything can fail, so a run that was never recorded never reaches its undo steps.
      const volume = await awaitRecorded(
        deps,
        () =>
          db
            .selectFrom('instance_volumes')
            .leftJoin('uploads', 'uploads.id', 'instance_volumes.upload_id')
            .select(['instance_volumes.size', 'instance_volumes.type', 'uploads.content'])
            .where('instance_id', '=', instanceId)
            .where('name', '=', name)
            .executeTakeFirst(),
        `volume ${name} of instance ${instanceId}`,
      );
      const { vmId, mark } = await vmOf(instanceId);
      const created = await cloudCall(() =>
        cloud.createVolume({
          clientToken,
          name: `instance-${instanceId}-${name}`,
          vmId,
          labels: mark,
          format: volume.type === 'raw' ? 'raw' : 'qcow2',
          ...(volume.content ? { contentBase64: Buffer.from(volume.content).toString('base64') } : { sizeMb: volume.size }),
        }),
      );
      await db
        .updateTable('instance_volumes')
        .set({ cloud_volume_id: created.id })
        .where('instance_id', '=', instanceId)
        .where('name', '=', name)
        .execute();
      return created.id;
    },

    /** The volume is in use: its uploaded image is no longer needed. */
    async markVolumeAttached({ instanceId, name }: InstanceRef & { name: string }): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('instance_volumes')
          .select('upload_id')
          .where('instance_id', '=', instanceId)
          .where('name', '=', name)
          .executeTakeFirst();
        await tx
          .updateTable('instance_volumes')
          .set({ state: 'attached', upload_id: null })
          .where('instance_id', '=', instanceId)
          .where('name', '=', name)
          .execute();
        if (row?.upload_id) await tx.deleteFrom('uploads').where('id', '=', row.upload_id).execute();
      });
    },

    async volumeCloudId({ instanceId, name }: InstanceRef & { name: string }): Promise<string | null> {
      const row = await db
        .selectFrom('instance_volumes')
        .select('cloud_volume_id')
        .where('instance_id', '=', instanceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row?.cloud_volume_id ?? null;
    },

    async removeVolumeRecord({ instanceId, name }: InstanceRef & { name: string }): Promise<void> {
      const row = await db
        .deleteFrom('instance_volumes')
        .where('instance_id', '=', instanceId)
        .where('name', '=', name)
        .returning('upload_id')
        .executeTakeFirst();
      if (row?.upload_id) await db.deleteFrom('uploads').where('id', '=', row.upload_id).execute();
    },

    /** Mirrors the cloud's hosts into the hypervisors table that Kahu's hypervisor endpoints read. */
    async syncHypervisors(): Promise<number> {
      const hosts = await cloudCall(() => cloud.listHosts());
      const syncedAt = new Date();
      for (const h of hosts) {
        const values = {
          host_id: h.id,
          name: h.name,
          region: h.region,
          state: h.state,
          ncpu: h.cpu,
          memory: h.memoryMb,
          disk: h.diskMb,
          used_ncpu: Math.ceil(h.usedCpu), // pods may hold fractional CPUs; the catalog counts whole ones
          used_memory: h.usedMemoryMb,
          used_disk: h.usedDiskMb,
          synced_at: syncedAt,
        };
        await db
          .insertInto('hypervisors')
          .values({ index: h.index, ...values })
          .onConflict((oc) => oc.column('index').doUpdateSet(values))
          .execute();
      }
      return hosts.length;
    },

    /**
     * The instance supervisor's probe (superviseInstances): every instance in a steady state whose
     * VM says otherwise — crashed, lost with its host, vanished, recovered, or started or stopped
     * out of band. One query and one cloud listing, whatever the number of instances.
     */
    async findInstanceDrift(): Promise<{ checked: number; drift: InstanceDrift[] }> {
      const rows = await db
        .selectFrom('instances')
        .select(['id', 'project_id', 'vm_id', 'state', 'error'])
        .where('deleted_at', 'is', null)
        .where('vm_id', 'is not', null)
        .where('state', 'in', SUPERVISED_STATES)
        .execute();
      if (!rows.length) return { checked: 0, drift: [] };
      const vms = new Map((await cloudCall(() => cloud.listVms())).map((vm) => [vm.id, vm]));
      const drift: InstanceDrift[] = [];
      for (const row of rows) {
        const target = stateFollowing(row.vm_id!, vms.get(row.vm_id!) ?? null);
        if (!target || (target.state === row.state && (target.state !== 'error' || target.error === row.error))) continue;
        drift.push({ instanceId: row.id, projectId: row.project_id, vmId: row.vm_id!, from: row.state, to: target.state, reason: target.error });
      }
      return { checked: rows.length, drift };
    },

    /** Starts followInstanceVm on the instance like any client; 'busy' when an operation holds it (the next round looks again). */
    async startInstanceFollow(drift: InstanceDrift): Promise<{ operationId: string | null; outcome: 'started' | 'busy' }> {
      const why = drift.to === 'error' ? `${drift.to}: ${drift.reason}` : drift.to;
      try {
        const started = await startOperation(deps, {
          workflow: followInstanceVm,
          args: [{ instanceId: drift.instanceId }],
          resourceType: 'instance',
          resourceId: String(drift.instanceId),
          projectId: drift.projectId,
          summary: `Instance ${drift.instanceId} (project ${drift.projectId}) follows its VM ${drift.vmId}: ${drift.from} → ${why}; seen by the instance supervisor`,
          userId: null,
          runTimeoutMs: 5 * 60_000,
        });
        return { operationId: started.operationId, outcome: 'started' };
      } catch (err) {
        if (err instanceof OperationInProgressError) return { operationId: err.operationId, outcome: 'busy' };
        throw err;
      }
    },

    /**
     * Records the VM's state on the instance (running, stopped, or error with the reason), when the
     * instance is in a steady state and the VM is between none; the address follows the VM too.
     */
    async applyVmStateToInstance({ instanceId }: InstanceRef): Promise<{ from: InstanceState; to: InstanceState; reason: string | null }> {
      const row = await instanceRow(instanceId);
      const unchanged = { from: row.state, to: row.state, reason: row.error };
      if (!row.vm_id || row.deleted_at || !(SUPERVISED_STATES as readonly string[]).includes(row.state)) return unchanged;
      const vm = await existingVm(cloud, row.vm_id);
      const target = stateFollowing(row.vm_id, vm);
      if (!target) return unchanged;
      await db
        .updateTable('instances')
        .set({ state: target.state, error: target.error, ipv4: target.state === 'running' ? (vm?.addresses.ipv4 ?? null) : null, updated_at: new Date() })
        .where('id', '=', instanceId)
        .where('state', '=', row.state)
        .execute();
      return { from: row.state, to: target.state, reason: target.error };
    },
  };
}

/** An instance's VM is named after it; the name is fixed at create, so the compensation of a create can find the VM by it. */
function vmNameOf(instance: { name: string }): string {
  return instance.name;
}

function prefixed(prefix: string, settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${prefix}${k}`, v]));
}

export type ComputeActivities = ReturnType<typeof createComputeActivities>;
