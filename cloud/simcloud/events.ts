import { z } from 'zod';
import type { Simcloud } from './simcloud';

/** Out-of-band events: things that happen to the cloud, not requests a tenant makes. */
export const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('vm_crash'), vmId: z.string().min(1), reason: z.string().min(1).optional() }),
  z.object({ type: z.literal('host_down'), hostId: z.string().min(1) }),
  z.object({ type: z.literal('host_up'), hostId: z.string().min(1) }),
]);

export type CloudEvent = z.infer<typeof eventSchema>;

/** host_down puts every VM on the host in error ('host <name> is down'); host_up does not restart them. */
export async function applyEvent(sim: Simcloud, event: CloudEvent) {
  switch (event.type) {
    case 'vm_crash':
      return { vm: await sim.crashVm(event.vmId, event.reason ?? 'crashed') };
    case 'host_down':
      return { host: await sim.setHostState(event.hostId, 'down') };
    case 'host_up':
      return { host: await sim.setHostState(event.hostId, 'up') };
  }
}
