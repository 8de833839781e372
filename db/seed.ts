import type { Config } from '../lib/config';
import type { Db } from './connection';
import { bootstrapIdentity } from './seeds/identity';
import { seedComputeCatalog } from './seeds/compute-catalog';
import { seedRuntimeTemplates } from './seeds/runtime-templates';

/** Idempotent defaults every deployment starts with: the bootstrap admin and each domain's catalog. */
export async function seedDefaults(db: Db, config: Config): Promise<void> {
  await bootstrapIdentity(db, config);
  await seedComputeCatalog(db);
  await seedRuntimeTemplates(db);
}
