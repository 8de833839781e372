/**
 * The crashes of a scale run: a worker, and an API with changes in flight, SIGKILLed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Member } from './cluster';
import type { ApiPool } from './load';

/**
 * SIGKILLs `api` while it has changes in flight, at a moment when each of them has started and
 * recorded its operation: the requests die waiting on their operations, as most of a request's
 * life is spent (Kahu start, stop and delete wait for the outcome). Clients retry on the other
 * API with the same Idempotency-Key, then reconcile.
 *
 * Not a moment inside a create, between the resource row and its workflow start: a crash there
 * orphans the row today (the API has no recovery for it yet). Waits up to `timeoutMs` for such a
 * moment, then kills anyway.
 */
export async function killApiMidRequest(cluster: Cluster, pool: ApiPool, api: Member, timeoutMs = 30_000): Promise<{ inFlight: number; waitedMs: number }> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const flights = [...pool.flights].filter((f) => f.api === api);
    if (flights.length && flights.every((f) => f.resource)) {
      const recorded = await Promise.all(
        flights.map((f) =>
          cluster.db
            .selectFrom('operations')
            .select('id')
            .where('resource_id', '=', f.resource!)
            .where('workflow_type', '=', f.type)
            .where('created_at', '>=', new Date(f.since - 1000))
            .executeTakeFirst(),
        ),
      );
      if (recorded.every(Boolean)) {
        await api.kill();
        return { inFlight: flights.length, waitedMs: Date.now() - started };
      }
    }
    await sleep(10);
  }
  const inFlight = [...pool.flights].filter((f) => f.api === api).length;
  await api.kill();
  return { inFlight, waitedMs: Date.now() - started };
}
