import { ApplicationFailure } from '@temporalio/common';
import type { InstanceState } from '../db/compute';
import type { ActivityDeps } from './deps';
import { cloudCall } from './support/cloud-errors';

export interface InstanceRef {
  instanceId: number;
}

/** Compute (Kahu) side effects: the instance rows in Postgres and their VMs, volumes and snapshots. */
export function createComputeActivities({ db, cloud }: ActivityDeps) {
  async function instanceRow(instanceId: number) {
    const row = await db.selectFrom('instances').selectAll().where('id', '=', instanceId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`instance ${instanceId} does not exist`, 'NotFound');
    return row;
  }

  async function vmIdOf(instanceId: number): Promise<string> {
    const row = await instanceRow(instanceId);
    if (!row.vm_id) throw ApplicationFailure.nonRetryable(`instance ${instanceId} has no VM`, 'NotFound');
    return row.vm_id;
  }

  return {
    /**
     * Creates the instance's VM (stopped once built). The client token makes a retry after a
     * crash or a lost reply return the VM created the first time instead of a second one.
     */
    async createInstanceVm({ instanceId, clientToken }: InstanceRef & { clientToken: string }): Promise<{ vmId: string; hostId: string }> {
      const row = await instanceRow(instanceId);
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
          name: row.name,
          cpu: row.ncpu,
          memoryMb: row.memory,
          diskMb: Math.max(1, disks.reduce((sum, d) => sum + d.size, 0)),
          hostId,
          context: row.ssh_key ? { SSH_PUBLIC_KEY: row.ssh_key } : {},
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

    async startInstanceVm({ instanceId }: InstanceRef): Promise<string> {
      const row = await instanceRow(instanceId);
      const vmId = await vmIdOf(instanceId);
      await cloudCall(() => cloud.startVm(vmId, { ...prefixed('hw.', row.hw), ...prefixed('console.', row.console) }));
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

    /** Cloud volume and snapshot ids to release before the instance's VM goes. */
    async instanceCloudResources({ instanceId }: InstanceRef): Promise<{ vmId: string | null; volumeIds: string[]; snapshotIds: string[] }> {
      const row = await instanceRow(instanceId);
      const volumes = await db.selectFrom('instance_volumes').select('cloud_volume_id').where('instance_id', '=', instanceId).execute();
      const snapshots = await db.selectFrom('instance_snapshots').select('cloud_snapshot_id').where('instance_id', '=', instanceId).execute();
      return {
        vmId: row.vm_id,
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
      const vmId = await vmIdOf(instanceId);
      const snapshot = await cloudCall(() => cloud.createSnapshot({ clientToken, vmId, name }));
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
      const vmId = await vmIdOf(instanceId);
      const volume = await db
        .selectFrom('instance_volumes')
        .leftJoin('uploads', 'uploads.id', 'instance_volumes.upload_id')
        .select(['instance_volumes.size', 'instance_volumes.type', 'uploads.content'])
        .where('instance_id', '=', instanceId)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!volume) throw ApplicationFailure.nonRetryable(`volume ${name} of instance ${instanceId} does not exist`, 'NotFound');
      const created = await cloudCall(() =>
        cloud.createVolume({
          clientToken,
          name: `instance-${instanceId}-${name}`,
          vmId,
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
          used_ncpu: h.usedCpu,
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
  };
}

function prefixed(prefix: string, settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${prefix}${k}`, v]));
}

export type ComputeActivities = ReturnType<typeof createComputeActivities>;
