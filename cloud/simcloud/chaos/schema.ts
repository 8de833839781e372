import { z } from 'zod';
import { objectId, regionName } from '../kernel/schema';

/** Kinds of object a fault rule can target; operations on them name their kind. */
export const faultResources = ['vm', 'volume', 'snapshot', 'host', 'region', 'pod', 'deployment', 'build', 'flavor', 'metrics'] as const;
export type FaultResource = (typeof faultResources)[number];

const errorCodes = ['capacity', 'not_found', 'invalid', 'conflict', 'exists', 'unauthorized', 'unavailable'] as const;

/**
 * A fault rule (like LocalStack's chaos API). Each request names its operation (the client method:
 * createVm, startVm, getHost, createDeployment, listFlavors, ...) and resource kind; every matching
 * rule draws from a seeded PRNG and the first that fires decides what happens to the request.
 *
 * Modes: 'error' answers `status` without doing anything; 'lost_response' does the work and
 * then drops the connection (the client sees a network failure); 'latency' only delays.
 * The mode defaults to 'latency' for a rule that gives latencyMs and nothing else, else 'error'.
 */
export const faultRuleSchema = z.object({
  operation: z.string().min(1).optional(),
  resource: z.enum([...faultResources, '*']).optional(),
  /** Only requests concerning this region: its flavor catalog, creates in it, objects living in it. */
  region: regionName.optional(),
  probability: z.number().min(0).max(1),
  status: z.number().int().min(400).max(599).optional(),
  /** Error code in the reply body (e.g. 'capacity'); by default derived from the status. */
  code: z.enum(errorCodes).optional(),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  mode: z.enum(['error', 'lost_response', 'latency']).optional(),
});

export const faultSchema = faultRuleSchema.extend({
  id: z.string(),
  mode: z.enum(['error', 'lost_response', 'latency']),
  status: z.number().int(),
  /** How many times the rule fired. */
  hits: z.number().int(),
});

export const seedBody = z.object({ seed: z.number().int().min(0).max(2 ** 32 - 1) });

/** Out-of-band events: things that happen to the cloud, not requests a tenant makes. */
export const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('vm_crash'), vmId: objectId, reason: z.string().min(1).max(1024).optional() }),
  z.object({ type: z.literal('host_down'), hostId: objectId }),
  z.object({ type: z.literal('host_up'), hostId: objectId }),
  /** The container exits: crash-loop (restarts, back to running after a backoff), or failed when permanent. */
  z.object({
    type: z.literal('pod_crash'),
    podId: objectId,
    reason: z.string().min(1).max(1024).optional(),
    permanent: z.boolean().optional(),
  }),
]);

export type CloudEvent = z.infer<typeof eventSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type Fault = z.infer<typeof faultSchema>;
