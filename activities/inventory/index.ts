import type { ActivityDeps } from '../deps';
import { computeInventory } from './compute';
import { runtimeInventory } from './runtimes';
import type { DomainInventory } from './types';

/**
 * Every domain the orphan sweeper covers (one schedule `sweep/<domain>` each, created at worker
 * start). Another domain joins with one line here and an inventory beside these.
 */
export const INVENTORIES = {
  compute: computeInventory,
  runtimes: runtimeInventory,
  // apps: appInventory,        (deployments and builds, marked app/<id>)
  // clusters: clusterInventory,
} satisfies Record<string, (deps: ActivityDeps) => DomainInventory>;

export type SweepDomain = keyof typeof INVENTORIES;
export const SWEEP_DOMAINS = Object.keys(INVENTORIES) as SweepDomain[];

export type { DomainInventory } from './types';
