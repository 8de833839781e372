import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';

/** Base URL of the Postgres server the run uses (provided by test/global-setup.ts). */
export function baseDatabaseUrl(): string {
  return inject('databaseUrl');
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh database for one test file, dropped by `drop()`. Each file works in its own database so
 * files never see each other's rows.
 */
export async function createTestDatabase(prefix = 'provisio_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const base = baseDatabaseUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(base, name),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated database and its Kysely handle. */
export async function createMigratedDb(prefix?: string): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const tdb = await createTestDatabase(prefix);
  const db = createDb(tdb.url);
  await migrateToLatest(db);
  return {
    url: tdb.url,
    db,
    async drop() {
      await db.destroy();
      await tdb.drop();
    },
  };
}
