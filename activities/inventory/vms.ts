import type { CloudBackend } from '../../cloud/contract';
import { readOwnerMark } from '../../lib/inventory';
import { cloudCall } from '../support/cloud-errors';
import type { CloudObject } from './types';

/** Every live VM, each with its mark when the mark names a resource of `resourceType` (domains that own whole VMs). */
export async function vmsMarkedFor(cloud: CloudBackend, prefix: string, resourceType: string): Promise<CloudObject[]> {
  const vms = await cloudCall(() => cloud.listVms());
  return vms.map((vm) => {
    const owner = readOwnerMark(prefix, vm.context);
    return {
      kind: 'vm' as const,
      cloudId: vm.id,
      name: vm.name,
      owner: owner?.resourceType === resourceType ? owner : null,
      createdAt: vm.createdAt,
      state: vm.state,
    };
  });
}
