import { hostname } from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/connection';
import type { Logger } from './logger';

/**
 * A process lease: who is alive, answered by Postgres at once. An API process registers a row in
 * `process_leases` and, on a connection of its own, holds a session-level advisory lock on
 * (LEASE_LOCK_CLASS, id) for its whole life. When the process dies — even by SIGKILL — the kernel
 * closes that socket, Postgres ends the session and the lock is free: `isLeaseAlive` (one
 * `pg_try_advisory_xact_lock`) then answers false. Nothing waits for a timeout or a heartbeat.
 *
 * Idempotency claims and operation starts record the lease of the process that made them, so
 * another process can take over a dead one's work at once (api/idempotency.ts, lib/operations.ts).
 * Every takeover is also guarded by a row in Postgres (the claim, the start), so a process wrongly
 * believed dead (its lease connection lost) cannot complete what was taken over from it.
 */

/** The advisory lock namespace of leases (the first key of the two-key form; the second is the id). */
export const LEASE_LOCK_CLASS = 0x70766f; // "pvo"

export interface ProcessLease {
  readonly id: number;
  /** Gives the lease up (the process is about to exit): its lock is released and its row deleted. */
  release(): Promise<void>;
}

let current: { id: number } | undefined;

/** The lease of this process, or null when it holds none (workers, in-process tests): its claims then age out instead. */
export function currentLeaseId(): number | null {
  return current?.id ?? null;
}

/** True while the process holding lease `id` is alive (its lock is held). */
export async function isLeaseAlive(db: Db, id: number): Promise<boolean> {
  if (id === current?.id) return true;
  // Transaction-level: taken only if free, and let go at the end of this one-statement transaction.
  const { rows } = await sql<{ free: boolean }>`select pg_try_advisory_xact_lock(${LEASE_LOCK_CLASS}, ${id}) as free`.execute(db);
  return !rows[0]?.free;
}

/**
 * Takes a lease for this process: a dedicated connection registers the row and takes the lock in
 * one transaction, so nobody can see the id before its lock is held. Should that connection break
 * while the process lives, a new lease is taken (work under the old one may have been taken over;
 * the guards in Postgres make its completion fail instead of doubling it).
 */
export async function acquireProcessLease(databaseUrl: string, kind: string, logger: Logger): Promise<ProcessLease> {
  let client: pg.Client | undefined;
  let released = false;

  const connect = async (): Promise<number> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: `provisio-${kind}` });
    await next.connect();
    try {
      await next.query('begin');
      const { rows } = await next.query<{ id: number }>('insert into process_leases (kind, host, pid) values ($1, $2, $3) returning id', [
        kind,
        hostname(),
        process.pid,
      ]);
      const id = rows[0]!.id;
      await next.query('select pg_advisory_lock($1, $2)', [LEASE_LOCK_CLASS, id]);
      await next.query('commit');
      next.on('error', (err) => void renew(err));
      next.on('end', () => void renew(new Error('lease connection ended')));
      client = next;
      current = { id };
      return id;
    } catch (err) {
      await next.end().catch(() => {});
      throw err;
    }
  };

  let renewing = false;
  const renew = async (err: unknown) => {
    if (released || renewing) return;
    renewing = true;
    logger.warn({ err: err instanceof Error ? err.message : String(err), lease: current?.id }, 'process lease lost; taking a new one');
    client = undefined;
    for (let attempt = 1; !released; attempt++) {
      try {
        const id = await connect();
        logger.info({ lease: id }, 'process lease renewed');
        break;
      } catch (e) {
        logger.warn({ err: e instanceof Error ? e.message : String(e), attempt }, 'could not renew the process lease');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * attempt)));
      }
    }
    renewing = false;
  };

  const id = await connect();
  logger.info({ lease: id }, 'process lease taken');
  return {
    get id() {
      return current?.id ?? id;
    },
    async release() {
      released = true;
      const c = client;
      client = undefined;
      if (!c) return;
      const leaseId = current?.id;
      await c.query('delete from process_leases where id = $1', [leaseId]).catch(() => {});
      await c.end().catch(() => {});
    },
  };
}
