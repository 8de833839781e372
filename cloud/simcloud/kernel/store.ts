import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * A table of JSONB documents in schema `simcloud`, registered by the resource module that owns
 * it: `key` is its primary-key column (filled from the document's `id`), `columns` are extra
 * columns computed from the document `d` (e.g. a unique client token), `order` is the load order.
 */
export interface TableSpec<R extends { id: string }> {
  name: string;
  key?: string;
  columns?: Record<string, string>;
  order?: string;
  /** What is persisted of a record (default: all of it). */
  toDoc?(record: R): unknown;
}

/** A registered table: mark records to write, remove rows, read what was loaded at start. */
export class Table<R extends { id: string }> {
  loaded: R[] = [];

  constructor(
    readonly spec: TableSpec<R>,
    private readonly store: Store,
  ) {}

  /** The record goes to Postgres with the next group commit (its state at that moment). */
  mark(record: R): void {
    this.store.change(this, record.id, record);
  }

  remove(id: string): void {
    this.store.change(this, id, null);
  }

  /** The rows read by Store.load(), handed over once (the module keeps them from then on). */
  takeLoaded(): R[] {
    const rows = this.loaded;
    this.loaded = [];
    return rows;
  }

  toDoc(record: R): unknown {
    return this.spec.toDoc ? this.spec.toDoc(record) : record;
  }
}

type AnyTable = Table<{ id: string }>;
/** Per table, what changed since the last round: the record to write, or null to delete the row. */
type Changes = Map<AnyTable, Map<string, { id: string } | null>>;

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

/**
 * Write-through persistence with group commit. Mutations change the in-memory model
 * synchronously, mark what they touched, and await flush() before replying: every record
 * marked before the flush is durable when it resolves. Concurrent requests share one
 * transaction per round, so throughput does not stop at one Postgres round trip per request.
 */
export class Store {
  private readonly tables: AnyTable[] = [];
  private changes: Changes = new Map();
  private meta = new Map<string, unknown>();
  private dirtyMeta = new Map<string, unknown>();
  private inflight: Promise<void> | null = null;
  private nextRound: Round | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  table<R extends { id: string }>(spec: TableSpec<R>): Table<R> {
    const table = new Table(spec, this);
    this.tables.push(table);
    return table;
  }

  /** Reads every registered table and the meta values; modules then take their rows. */
  async load(): Promise<void> {
    await Promise.all([
      ...this.tables.map(async (t) => {
        const order = t.spec.order ?? t.spec.key ?? 'id';
        const { rows } = await this.pool.query<{ doc: { id: string } }>(`select doc from simcloud.${t.spec.name} order by ${order}`);
        t.loaded = rows.map((r) => r.doc);
      }),
      this.pool.query<{ key: string; value: unknown }>('select key, value from simcloud.meta').then(({ rows }) => {
        this.meta = new Map(rows.map((r) => [r.key, r.value]));
      }),
    ]);
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.meta.set(key, value);
    this.dirtyMeta.set(key, value);
  }

  /** Resolves once everything marked so far is in Postgres (rejects if that write failed). */
  flush(): Promise<void> {
    if (!this.hasChanges()) return this.inflight ?? Promise.resolve();
    const round = (this.nextRound ??= deferred());
    if (!this.inflight) this.startRound();
    return round.promise;
  }

  /** Waits for every marked change to reach Postgres (used at shutdown). */
  async drain(): Promise<void> {
    for (let i = 0; i < 5 && (this.hasChanges() || this.inflight); i++) await this.flush().catch(() => {});
  }

  /** Called by Table.mark/remove. */
  change(table: AnyTable, id: string, record: { id: string } | null): void {
    let m = this.changes.get(table);
    if (!m) this.changes.set(table, (m = new Map()));
    m.set(id, record);
  }

  private hasChanges(): boolean {
    return this.changes.size > 0 || this.dirtyMeta.size > 0;
  }

  private startRound(): void {
    const round = this.nextRound!;
    this.nextRound = null;
    const batch = { changes: this.changes, meta: this.dirtyMeta };
    this.changes = new Map();
    this.dirtyMeta = new Map();
    // Serialize now: the records keep changing while the write is in flight.
    const writes = [...batch.changes].map(([table, m]) => {
      const upserts: unknown[] = [];
      const deletes: string[] = [];
      for (const [id, record] of m) {
        if (record) upserts.push(table.toDoc(record));
        else deletes.push(id);
      }
      return { table, upserts: JSON.stringify(upserts), deletes };
    });
    this.inflight = this.write(writes, [...batch.meta])
      .then(
        () => round.resolve(),
        (err) => {
          this.logger.error({ err }, 'simcloud: write to Postgres failed; will retry with the next round');
          // Put back what was not changed again since, so the next round retries it.
          for (const [table, m] of batch.changes)
            for (const [id, record] of m) if (!this.changes.get(table)?.has(id)) this.change(table, id, record);
          for (const [k, v] of batch.meta) if (!this.dirtyMeta.has(k)) this.dirtyMeta.set(k, v);
          round.reject(err);
        },
      )
      .finally(() => {
        this.inflight = null;
        if (this.nextRound) this.startRound();
      });
  }

  private async write(writes: { table: AnyTable; upserts: string; deletes: string[] }[], meta: [string, unknown][]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      for (const { table, upserts, deletes } of writes) {
        const { name, key = 'id', columns = {} } = table.spec;
        if (upserts !== '[]') {
          const cols = Object.keys(columns);
          await client.query(
            `insert into simcloud.${name} (${[key, ...cols, 'doc'].join(', ')})
             select ${["d->>'id'", ...cols.map((c) => columns[c]), 'd'].join(', ')} from jsonb_array_elements($1::jsonb) d
             on conflict (${key}) do update set doc = excluded.doc`,
            [upserts],
          );
        }
        if (deletes.length) await client.query(`delete from simcloud.${name} where ${key} = any($1::text[])`, [deletes]);
      }
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
}
