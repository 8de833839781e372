import { ApplicationFailure } from '@temporalio/common';
import type { VmState, Vm } from '../cloud/contract';
import { readOwnerMark } from '../lib/inventory';
import type { ActivityDeps } from './deps';
import { cloudCall, existingVm, isNotFound } from './support/cloud-errors';
import { pollUntil } from './support/poll';

export interface VmStatus {
  vmId: string;
  state: VmState;
  hostId: string;
  error: string | null;
  ipv4: string | null;
  ipv6: string | null;
  external: string | null;
}

const statusOf = (vm: Vm): VmStatus => ({
  vmId: vm.id,
  state: vm.state,
  hostId: vm.hostId,
  error: vm.error,
  ipv4: vm.addresses.ipv4,
  ipv6: vm.addresses.ipv6,
  external: vm.addresses.external,
});

/** Cloud waits and releases shared by every domain that provisions VMs, volumes or snapshots. */
export function createCloudActivities({ cloud, config }: ActivityDeps) {
  const poll = config.CLOUD_POLL_MS;
  return {
    async getVmStatus(vmId: string): Promise<VmStatus> {
      return statusOf(await cloudCall(() => cloud.getVm(vmId)));
    },

    /** Waits until the VM reaches one of `states`; a VM in 'error' (unless awaited) fails the wait for good. */
    async waitForVm(vmId: string, states: VmState[]): Promise<VmStatus> {
      return pollUntil(
        async () => {
          const vm = await cloudCall(() => cloud.getVm(vmId));
          if (states.includes(vm.state)) return statusOf(vm);
          if (vm.state === 'error' || vm.state === 'deleted') {
            throw ApplicationFailure.nonRetryable(`VM ${vmId} is ${vm.state}${vm.error ? `: ${vm.error}` : ''}`, 'VmFailed');
          }
          return undefined;
        },
        poll,
        () => `waiting for VM ${vmId} to be ${states.join(' or ')}`,
      );
    },

    /** Waits for a DHCP lease; gives up (null) when the VM stops running before it gets one. */
    async waitForVmAddress(vmId: string): Promise<VmStatus | null> {
      return pollUntil(
        async () => {
          const vm = await existingVm(cloud, vmId);
          if (!vm || (vm.state !== 'running' && vm.state !== 'starting')) return null;
          if (vm.addresses.ipv4 || vm.addresses.ipv6 || vm.addresses.external) return statusOf(vm);
          return undefined;
        },
        poll,
        () => `waiting for an address on VM ${vmId}`,
      );
    },

    /** Deletes a VM and waits until it is gone; a VM that is already gone is fine. */
    async deleteVm(vmId: string): Promise<void> {
      await cloudCall(() => cloud.deleteVm(vmId));
      await pollUntil(
        async () => ((await existingVm(cloud, vmId)) ? undefined : true),
        poll,
        () => `waiting for VM ${vmId} to be deleted`,
      );
    },

    /**
     * Deletes the VMs carrying this deployment's mark for `owner` (e.g. `runtime/12`) and named
     * `name`, and waits until they are gone: the compensation of a create whose answer was lost.
     * The cloud made the VM, the reply never came, and the retry failed for good (or was cancelled
     * in its backoff), so no row holds the VM's id; the mark and the name still find it. Returns
     * the VMs it deleted.
     */
    async deleteMarkedVms({ owner, name }: { owner: string; name: string }): Promise<string[]> {
      const prefix = config.WORKFLOW_ID_PREFIX;
      const marked = (await cloudCall(() => cloud.listVms())).filter((vm) => {
        const mark = readOwnerMark(prefix, vm.context);
        return vm.name === name && mark !== null && `${mark.resourceType}/${mark.resourceId}` === owner;
      });
      for (const vm of marked) await cloudCall(() => cloud.deleteVm(vm.id));
      await pollUntil(
        async () => ((await Promise.all(marked.map((vm) => existingVm(cloud, vm.id)))).some(Boolean) ? undefined : true),
        poll,
        () => `waiting for VMs ${marked.map((vm) => vm.id).join(', ')} to be deleted`,
      );
      return marked.map((vm) => vm.id);
    },

    async waitForVolume(volumeId: string, states: Array<'available' | 'attached'>): Promise<string> {
      return pollUntil(
        async () => {
          const v = await cloudCall(() => cloud.getVolume(volumeId));
          if ((states as string[]).includes(v.state)) return v.state;
          if (v.state === 'error' || v.state === 'deleted') {
            throw ApplicationFailure.nonRetryable(`volume ${volumeId} is ${v.state}`, 'VolumeFailed');
          }
          return undefined;
        },
        poll,
        () => `waiting for volume ${volumeId}`,
      );
    },

    /** Detaches (when attached) and deletes a volume; unknown volumes are already released. */
    async releaseVolume(volumeId: string): Promise<void> {
      try {
        const v = await cloud.getVolume(volumeId);
        if (v.state === 'attached') await cloud.detachVolume(volumeId);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await cloudCall(() => cloud.deleteVolume(volumeId));
    },

    async waitForSnapshot(snapshotId: string): Promise<void> {
      await pollUntil(
        async () => {
          const s = await cloudCall(() => cloud.getSnapshot(snapshotId));
          if (s.state === 'available') return true;
          if (s.state === 'error' || s.state === 'deleted') {
            throw ApplicationFailure.nonRetryable(`snapshot ${snapshotId} is ${s.state}`, 'SnapshotFailed');
          }
          return undefined;
        },
        poll,
        () => `waiting for snapshot ${snapshotId}`,
      );
    },

    async deleteSnapshot(snapshotId: string): Promise<void> {
      await cloudCall(() => cloud.deleteSnapshot(snapshotId));
    },
  };
}

export type CloudActivities = ReturnType<typeof createCloudActivities>;
