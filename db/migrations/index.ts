import type { Migration } from 'kysely';
import * as m001 from './001_identity';
import * as m002 from './002_operations';
import * as m003 from './003_compute';
import * as m004 from './004_runtimes';
import * as m005 from './005_apps';
import * as m006 from './006_flavors';
import * as m007 from './007_clusters';
import * as m009 from './009_operator';
import * as m010 from './010_crash_safety';

/** Every migration, in order. Listed statically so they work the same under tsx, vitest and bundlers. */
export const migrations: Record<string, Migration> = {
  '001_identity': m001,
  '002_operations': m002,
  '003_compute': m003,
  '004_runtimes': m004,
  '005_apps': m005,
  '006_flavors': m006,
  '007_clusters': m007,
  '009_operator': m009,
  '010_crash_safety': m010,
};
