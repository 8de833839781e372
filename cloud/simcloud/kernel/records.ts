import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { notFound } from './errors';
import type { Table } from './store';

export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');
export const newId = (prefix: string) => `${prefix}-${randomHex(6)}`;
export const now = () => new Date().toISOString();

/**
 * Internal records carry, beside the contract's fields, what simcloud needs to resume after a
 * restart: the pending transition and when it fires.
 */
export interface PendingTransition<S extends string> {
  /** The state the object moves to when the timer fires. */
  pendingState: S | null;
  /** Epoch ms at which the pending transition fires; persisted so timers re-arm after a restart. */
  transitionAt: number | null;
}

interface Tracked {
  id: string;
  state: string;
  clientToken?: string;
}

/**
 * The records of one resource kind, by id and by client token, written through to their table.
 * Deleted records (state 'deleted') stay readable, so waiters see the end of a delete, and keep
 * their token, so a retried create returns the deleted object rather than making a new one.
 */
export class Registry<R extends Tracked> {
  private readonly byId = new Map<string, R>();
  private readonly byToken = new Map<string, string>();

  constructor(
    /** Names the kind in not-found messages ('VM', 'pod', ...). */
    readonly kind: string,
    private readonly table: Table<R>,
  ) {}

  /** Indexes the rows Store.load() read and returns them, for the module to re-account and re-arm. */
  load(): R[] {
    const rows = this.table.takeLoaded();
    for (const r of rows) this.index(r);
    return rows;
  }

  private index(record: R): void {
    this.byId.set(record.id, record);
    if (record.clientToken) this.byToken.set(record.clientToken, record.id);
  }

  /** Indexes a new record and marks it (or a changed one) for the next group commit. */
  save(record: R): void {
    if (!this.byId.has(record.id)) this.index(record);
    this.table.mark(record);
  }

  find(id: string): R | undefined {
    return this.byId.get(id);
  }

  /** The record, deleted or not; not_found when unknown. */
  get(id: string): R {
    const r = this.byId.get(id);
    if (!r) throw notFound(this.kind, id);
    return r;
  }

  /** The record unless unknown or deleted (both not_found). */
  live(id: string): R {
    const r = this.byId.get(id);
    if (!r || r.state === 'deleted') throw notFound(this.kind, id);
    return r;
  }

  isLive(id: string): boolean {
    const r = this.byId.get(id);
    return r !== undefined && r.state !== 'deleted';
  }

  byClientToken(token: string): R | undefined {
    const id = this.byToken.get(token);
    return id === undefined ? undefined : this.byId.get(id);
  }

  values(): IterableIterator<R> {
    return this.byId.values();
  }

  *liveValues(): Generator<R> {
    for (const r of this.byId.values()) if (r.state !== 'deleted') yield r;
  }

  countLive(): number {
    let n = 0;
    for (const r of this.byId.values()) if (r.state !== 'deleted') n++;
    return n;
  }

  get size(): number {
    return this.byId.size;
  }
}

/**
 * A view that copies the fields the response schema names (shallowly: nested values are replaced,
 * never mutated, by the modules), so internal bookkeeping never leaves the process.
 */
export function viewOf<S extends z.ZodObject>(schema: S): (record: z.infer<S>) => z.infer<S> {
  const keys = Object.keys(schema.shape);
  return (record) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = (record as Record<string, unknown>)[k];
    return out as z.infer<S>;
  };
}
