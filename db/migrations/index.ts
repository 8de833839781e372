import type { Migration } from 'kysely';
import * as m001 from './001_identity';
import * as m002 from './002_operations';
import * as m003 from './003_compute';
import * as m004 from './004_runtimes';

/** Every migration, in order. Listed statically so they work the same under tsx, vitest and bundlers. */
export const migrations: Record<string, Migration> = {
  '001_identity': m001,
  '002_operations': m002,
  '003_compute': m003,
  '004_runtimes': m004,
};
