/**
 * The crashes of a scale run: a worker, and an API with changes in flight, SIGKILLed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Member } from './cluster';
import type { ApiPool } from './load';

/**
 * SIGKILLs `api` at a random moment while it has changes in flight: any moment of a request's
 * life — its Idempotency-Key just claimed, a create's rows written but its workflow not started,
 * the workflow started but not recorded, recorded but not answered, or waiting on the outcome.
 * Every one of them must be safe (lib/operations.ts, api/idempotency.ts): clients retry on the
 * other API with the same Idempotency-Key, then reconcile.
 *
 * Once a change is in flight on `api`, the kill comes after a random delay of up to `jitterMs`
 * (most of a create's crash windows lie in its first tens of milliseconds). Waits up to
 * `timeoutMs` for a change in flight, then kills anyway.
 */
export async function killApiMidRequest(
  _cluster: Cluster,
  pool: ApiPool,
  api: Member,
  { timeoutMs = 30_000, jitterMs = 60, random = Math.random }: { timeoutMs?: number; jitterMs?: number; random?: () => number } = {},
): Promise<{ inFlight: number; waitedMs: number; delayMs: number }> {
  const started = Date.now();
  const inFlight = () => [...pool.flights].filter((f) => f.api === api).length;
  while (Date.now() - started < timeoutMs) {
    if (inFlight() > 0) {
      const delayMs = Math.floor(random() * jitterMs);
      await sleep(delayMs);
      if (inFlight() > 0 || Date.now() - started >= timeoutMs) {
        const cut = inFlight();
        await api.kill();
        return { inFlight: cut, waitedMs: Date.now() - started, delayMs };
      }
    }
    await sleep(2);
  }
  const cut = inFlight();
  await api.kill();
  return { inFlight: cut, waitedMs: Date.now() - started, delayMs: 0 };
}
