import { randomBytes } from 'node:crypto';
import { mulberry32 } from '../kernel/rng';
import type { Fault, FaultResource, faultRuleSchema } from './schema';
import type { z } from 'zod';

/**
 * The active fault rules and the seeded PRNG they draw from (see chaos/schema.ts). Requests draw
 * through the HTTP kernel's op wrapper; timers draw too (a pod about to run draws 'startPod').
 */
export class Faults {
  private rules: Fault[] = [];
  private rng: () => number;

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  setSeed(seed: number): void {
    this.rng = mulberry32(seed);
  }

  add(input: z.infer<typeof faultRuleSchema>): Fault {
    const mode = input.mode ?? (input.latencyMs !== undefined && input.status === undefined && !input.code ? 'latency' : 'error');
    const rule: Fault = { ...input, id: `fault-${randomBytes(4).toString('hex')}`, mode, status: input.status ?? 503, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): Fault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** Whether any rule targets a region (only then do requests work out which region they concern). */
  get anyRegional(): boolean {
    return this.rules.some((r) => r.region !== undefined);
  }

  /** Draws once per matching rule, in order; the first that fires is returned. */
  draw(operation: string, resource: FaultResource, region: string | null = null): Fault | null {
    for (const r of this.rules) {
      if (r.operation && r.operation !== '*' && r.operation !== operation) continue;
      if (r.resource && r.resource !== '*' && r.resource !== resource) continue;
      if (r.region !== undefined && r.region !== region) continue;
      if (this.rng() < r.probability) {
        r.hits++;
        return r;
      }
    }
    return null;
  }
}
