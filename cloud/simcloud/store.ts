import type pg from 'pg';
import type { Logger } from 'pino';
import type { HostRecord, SnapshotRecord, VmRecord, VolumeRecord } from './types';

type Table = 'hosts' | 'vms' | 'volumes' | 'snapshots';
type Doc = { id: string };

export interface LoadedState {
  regions: string[];
  hosts: HostRecord[];
  vms: VmRecord[];
  volumes: VolumeRecord[];
  snapshots: SnapshotRecord[];
  meta: Map<string, unknown>;
}

interface Round {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Round {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A round nobody awaits (e.g. a timer's transition) must not become an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const UPSERT: Record<Table, string> = {
  hosts: `insert into simcloud.hosts (id, idx, doc)
          select d->>'id', (d->>'index')::int, d from jsonb_array_elements($1::jsonb) d
          on conflict (id) do update set doc = excluded.doc`,
  vms: `insert into simcloud.vms (id, client_token, doc)
        select d->>'id', d->>'clientToken', d from jsonb_array_elements($1::jsonb) d
        on conflict (id) do update set doc = excluded.doc`,
  volumes: `insert into simcloud.volumes (id, client_token, doc)
            select d->>'id', d->>'clientToken', d from jsonb_array_elements($1::jsonb) d
            on conflict (id) do update set doc = excluded.doc`,
  snapshots: `insert into simcloud.snapshots (id, client_token, doc)
              select d->>'id', d->>'clientToken', d from jsonb_array_elements($1::jsonb) d
              on conflict (id) do update set doc = excluded.doc`,
};

/**
 * Write-through persistence with group commit. Mutations change the in-memory model
 * synchronously, mark what they touched, and await flush() before replying: every object
 * marked before the flush is durable when it resolves. Concurrent requests share one
 * transaction per round, so throughput does not stop at one Postgres round trip per request.
 */
export class Store {
  private dirty = new Map<Table, Map<string, Doc>>();
  private dirtyRegions = new Set<string>();
  private dirtyMeta = new Map<string, unknown>();
  private inflight: Promise<void> | null = null;
  private nextRound: Round | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<LoadedState> {
    const docs = async <T>(table: Table, order: string) =>
      (await this.pool.query<{ doc: T }>(`select doc from simcloud.${table} order by ${order}`)).rows.map((r) => r.doc);
    const [regions, hosts, vms, volumes, snapshots, meta] = await Promise.all([
      this.pool.query<{ name: string }>('select name from simcloud.regions order by created_at, name'),
      docs<HostRecord>('hosts', 'idx'),
      docs<VmRecord>('vms', 'id'),
      docs<VolumeRecord>('volumes', 'id'),
      docs<SnapshotRecord>('snapshots', 'id'),
      this.pool.query<{ key: string; value: unknown }>('select key, value from simcloud.meta'),
    ]);
    return {
      regions: regions.rows.map((r) => r.name),
      hosts,
      vms,
      volumes,
      snapshots,
      meta: new Map(meta.rows.map((r) => [r.key, r.value])),
    };
  }

  markHost(h: HostRecord): void {
    this.mark('hosts', h);
  }
  markVm(v: VmRecord): void {
    this.mark('vms', v);
  }
  markVolume(v: VolumeRecord): void {
    this.mark('volumes', v);
  }
  markSnapshot(s: SnapshotRecord): void {
    this.mark('snapshots', s);
  }
  markRegion(name: string): void {
    this.dirtyRegions.add(name);
  }
  markMeta(key: string, value: unknown): void {
    this.dirtyMeta.set(key, value);
  }

  /** Resolves once everything marked so far is in Postgres (rejects if that write failed). */
  flush(): Promise<void> {
    if (!this.hasDirty()) return this.inflight ?? Promise.resolve();
    const round = (this.nextRound ??= deferred());
    if (!this.inflight) this.startRound();
    return round.promise;
  }

  private mark(table: Table, doc: Doc): void {
    let m = this.dirty.get(table);
    if (!m) this.dirty.set(table, (m = new Map()));
    m.set(doc.id, doc);
  }

  private hasDirty(): boolean {
    return this.dirty.size > 0 || this.dirtyRegions.size > 0 || this.dirtyMeta.size > 0;
  }

  private startRound(): void {
    const round = this.nextRound!;
    this.nextRound = null;
    const batch = { docs: this.dirty, regions: this.dirtyRegions, meta: this.dirtyMeta };
    this.dirty = new Map();
    this.dirtyRegions = new Set();
    this.dirtyMeta = new Map();
    // Serialize now: the objects keep changing while the write is in flight.
    const payload = [...batch.docs].map(([table, m]) => [table, JSON.stringify([...m.values()])] as const);
    this.inflight = this.write(payload, [...batch.regions], [...batch.meta])
      .then(
        () => round.resolve(),
        (err) => {
          this.logger.error({ err }, 'simcloud: write to Postgres failed; will retry with the next round');
          // Put back what was not re-marked since, so the next round retries it.
          for (const [table, m] of batch.docs) for (const doc of m.values()) if (!this.dirty.get(table)?.has(doc.id)) this.mark(table, doc);
          for (const r of batch.regions) this.dirtyRegions.add(r);
          for (const [k, v] of batch.meta) if (!this.dirtyMeta.has(k)) this.dirtyMeta.set(k, v);
          round.reject(err);
        },
      )
      .finally(() => {
        this.inflight = null;
        if (this.nextRound) this.startRound();
      });
  }

  private async write(docs: (readonly [Table, string])[], regions: string[], meta: [string, unknown][]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      if (regions.length)
        await client.query('insert into simcloud.regions (name) select unnest($1::text[]) on conflict do nothing', [regions]);
      for (const [table, json] of docs) await client.query(UPSERT[table], [json]);
      for (const [key, value] of meta)
        await client.query(
          'insert into simcloud.meta (key, value) values ($1, $2::jsonb) on conflict (key) do update set value = excluded.value',
          [key, JSON.stringify(value)],
        );
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Waits for every marked change to reach Postgres (used at shutdown). */
  async drain(): Promise<void> {
    for (let i = 0; i < 5 && (this.hasDirty() || this.inflight); i++) await this.flush().catch(() => {});
  }
}
