import type pg from 'pg';

/**
 * simcloud's own schema, versioned separately from the platform's migrations so the simulator
 * can run against any database. Objects are JSONB documents keyed by id: simcloud keeps its
 * working set in memory and only needs durable write-through and a fast full load.
 */
const migrations: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      create table simcloud.regions (
        name text primary key,
        created_at timestamptz not null default now()
      );
      create table simcloud.hosts (
        id text primary key,
        idx integer not null unique,
        doc jsonb not null
      );
      create table simcloud.vms (
        id text primary key,
        client_token text not null unique,
        doc jsonb not null
      );
      create table simcloud.volumes (
        id text primary key,
        client_token text not null unique,
        doc jsonb not null
      );
      create table simcloud.snapshots (
        id text primary key,
        client_token text not null unique,
        doc jsonb not null
      );
      create table simcloud.meta (
        key text primary key,
        value jsonb not null
      );
    `,
  },
  {
    // Containers, builds, region flavor catalogs and metrics; regions become documents like the rest.
    version: 2,
    sql: `
      alter table simcloud.regions add column doc jsonb;
      update simcloud.regions set doc = jsonb_build_object('id', name);
      alter table simcloud.regions alter column doc set not null;
      create table simcloud.deployments (
        id text primary key,
        client_token text not null unique,
        doc jsonb not null
      );
      create table simcloud.pods (
        id text primary key,
        doc jsonb not null
      );
      create table simcloud.builds (
        id text primary key,
        client_token text not null unique,
        doc jsonb not null
      );
      -- A build's log lines, apart from the build so state changes do not rewrite them.
      create table simcloud.build_logs (
        id text primary key,
        doc jsonb not null
      );
      -- id is '<region>/<flavor id>': each region has its own catalog.
      create table simcloud.flavors (
        id text primary key,
        doc jsonb not null
      );
      create table simcloud.metrics (
        id text primary key,
        doc jsonb not null
      );
    `,
  },
];

/**
 * Applies pending migrations (up to `upTo`, default all) under an advisory lock, so two
 * simclouds starting together agree.
 */
export async function migrate(pool: pg.Pool, upTo = Infinity): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query(`select pg_advisory_lock(hashtext('simcloud.migrations'))`);
    await client.query('create schema if not exists simcloud');
    await client.query(
      'create table if not exists simcloud.schema_migrations (version integer primary key, applied_at timestamptz not null default now())',
    );
    const { rows } = await client.query<{ version: number }>('select version from simcloud.schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version) || m.version > upTo) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into simcloud.schema_migrations (version) values ($1)', [m.version]);
        await client.query('commit');
        applied.push(m.version);
      } catch (err) {
        await client.query('rollback');
        throw err;
      }
    }
    return applied;
  } finally {
    await client.query(`select pg_advisory_unlock(hashtext('simcloud.migrations'))`).catch(() => {});
    client.release();
  }
}
