import { loadConfigOrExit, requireDatabaseUrl } from '../lib/config';
import { createDb } from './connection';
import { migrateToLatest } from './migrate';
import { seedDefaults } from './seed';

const config = loadConfigOrExit();
const db = createDb(requireDatabaseUrl(config));
try {
  const applied = await migrateToLatest(db);
  await seedDefaults(db, config);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await db.destroy();
}
