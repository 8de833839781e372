import { z } from 'zod';

/** `GET /healthz`: live counts (deleted objects left out) and the capacity in use. */
export const healthSchema = z.object({
  ok: z.boolean(),
  hosts: z.number().int(),
  regions: z.number().int(),
  vms: z.number().int(),
  volumes: z.number().int(),
  snapshots: z.number().int(),
  deployments: z.number().int(),
  pods: z.number().int(),
  /** Builds not deleted (finished ones included). */
  builds: z.number().int(),
  flavors: z.number().int(),
  /** Summed over hosts, VMs and pods alike. */
  usedCpu: z.number(),
  usedMemoryMb: z.number().int(),
  /** Pending timers (transitions, leases, restarts). */
  timers: z.number().int(),
});

export type Health = z.infer<typeof healthSchema>;
