import { body, noContent, parse, pid, type SimApp } from '../kernel/http';
import type { Metrics } from '../metrics/metrics';
import { setLoadBody } from '../metrics/schema';
import { applyEvent, type EventTargets } from './events';
import type { Faults } from './faults';
import { eventSchema, faultRuleSchema, seedBody } from './schema';

export interface ChaosDeps extends EventTargets {
  faults: Faults;
  metrics: Metrics;
  /** A new seed also reseeds jitter, so delays repeat too. */
  reseed(seed: number): void;
}

/** The chaos API (`/_chaos/...`): faults, seed, out-of-band events, load. Never faulted itself. */
export function chaosRoutes(app: SimApp, deps: ChaosDeps): void {
  const { faults, metrics } = deps;
  app.get('/_chaos/faults', (c) => c.json({ rules: faults.list() }));
  app.post('/_chaos/faults', async (c) => {
    const b = await body(c);
    const inputs = Array.isArray(b) ? b.map((r) => parse(faultRuleSchema, r)) : [parse(faultRuleSchema, b)];
    return c.json({ rules: inputs.map((r) => faults.add(r)) }, 201);
  });
  app.delete('/_chaos/faults', (c) => {
    faults.clear();
    return noContent(c);
  });
  app.delete('/_chaos/faults/:id', (c) => {
    faults.remove(pid(c));
    return noContent(c);
  });
  app.post('/_chaos/seed', async (c) => {
    const { seed } = parse(seedBody, await body(c));
    deps.reseed(seed);
    return c.json({ seed });
  });
  app.post('/_chaos/events', async (c) => c.json(await applyEvent(deps, parse(eventSchema, await body(c)))));
  app.post('/_chaos/load', async (c) => {
    const { target, metric, value } = parse(setLoadBody, await body(c));
    return c.json(await metrics.set(target, metric, value));
  });
}
