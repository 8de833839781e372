import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { mulberry32 } from './rng';

/**
 * Run-time fault injection, like LocalStack's chaos API. Each request names its operation
 * (createVm, startVm, getHost, ...) and resource kind; every matching rule draws from a seeded
 * PRNG and the first that fires decides what happens to the request.
 *
 * Modes: 'error' answers `status` without doing anything; 'lost_response' does the work and
 * then drops the connection (the client sees a network failure); 'latency' only delays.
 * The mode defaults to 'latency' for a rule that gives latencyMs and nothing else, else 'error'.
 */
export const faultRuleSchema = z.object({
  operation: z.string().min(1).optional(),
  resource: z.enum(['vm', 'volume', 'snapshot', 'host', 'region', '*']).optional(),
  probability: z.number().min(0).max(1),
  status: z.number().int().min(400).max(599).optional(),
  /** Error code in the reply body (e.g. 'capacity'); by default derived from the status. */
  code: z.enum(['capacity', 'not_found', 'invalid', 'conflict', 'unavailable']).optional(),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  mode: z.enum(['error', 'lost_response', 'latency']).optional(),
});

export type FaultRuleInput = z.infer<typeof faultRuleSchema>;
export type FaultRule = FaultRuleInput & { id: string; mode: 'error' | 'lost_response' | 'latency'; status: number; hits: number };

export type Resource = 'vm' | 'volume' | 'snapshot' | 'host' | 'region' | 'chaos';

export class Faults {
  private rules: FaultRule[] = [];
  private rng: () => number;

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  setSeed(seed: number): void {
    this.rng = mulberry32(seed);
  }

  add(input: FaultRuleInput): FaultRule {
    const mode = input.mode ?? (input.latencyMs !== undefined && input.status === undefined && !input.code ? 'latency' : 'error');
    const rule: FaultRule = { ...input, id: `fault-${randomBytes(4).toString('hex')}`, mode, status: input.status ?? 503, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  /** Draws once per matching rule, in order; the chaos API itself is never faulted. */
  draw(operation: string, resource: Resource): FaultRule | null {
    if (resource === 'chaos') return null;
    for (const r of this.rules) {
      if (r.operation && r.operation !== '*' && r.operation !== operation) continue;
      if (r.resource && r.resource !== '*' && r.resource !== resource) continue;
      if (this.rng() < r.probability) {
        r.hits++;
        return r;
      }
    }
    return null;
  }
}
