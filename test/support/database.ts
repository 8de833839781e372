import { inject } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { createThrowawayDatabase } from '../../scripts/throwaway-database';

/** Base URL of the Postgres server the run uses (provided by test/global-setup.ts). */
export function baseDatabaseUrl(): string {
  return inject('databaseUrl');
}

/**
 * A fresh database for one test file, dropped by `drop()`. Each file works in its own database so
 * files never see each other's rows.
 */
export function createTestDatabase(prefix = 'provisio_test'): Promise<{ url: string; drop(): Promise<void> }> {
  return createThrowawayDatabase(baseDatabaseUrl(), prefix);
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
