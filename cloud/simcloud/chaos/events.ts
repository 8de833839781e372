import type { Deployments } from '../deployments/deployments';
import { viewHost, type Hosts } from '../hosts/hosts';
import type { Kernel } from '../kernel/kernel';
import type { Vms } from '../vms/vms';
import type { CloudEvent } from './schema';

export interface EventTargets {
  kernel: Kernel;
  hosts: Hosts;
  vms: Vms;
  deployments: Deployments;
}

/**
 * Applies an out-of-band event. host_down puts every VM on the host in error and fails its pods
 * ('host <name> is down'); host_up restarts neither.
 */
export async function applyEvent(t: EventTargets, event: CloudEvent) {
  switch (event.type) {
    case 'vm_crash':
      return { vm: await t.vms.crash(event.vmId, event.reason ?? 'crashed') };
    case 'pod_crash':
      return { pod: await t.deployments.pods.crash(event.podId, event.reason ?? 'crashed', event.permanent ?? false) };
    case 'host_down':
    case 'host_up': {
      const state = event.type === 'host_down' ? 'down' : 'up';
      const wasUp = t.hosts.get(event.hostId).state === 'up';
      const host = t.hosts.setState(event.hostId, state);
      if (state === 'down' && wasUp) {
        t.vms.failOnHost(host);
        t.deployments.pods.failOnHost(host);
      }
      return { host: await t.kernel.commit(viewHost(host)) };
    }
  }
}
