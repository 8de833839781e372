import type { ActivityDeps } from '../deps';
import { appInventory } from './apps';
import { clusterInventory } from './clusters';
import { computeInventory } from './compute';
import { flavorInventory } from './flavors';
import { runtimeInventory } from './runtimes';
import type { DomainInventory } from './types';

/**
 * Every domain the orphan sweeper covers (one schedule `sweep/<domain>` each, created at worker
 * start). Another domain joins with one line here and an inventory beside these.
 *
 * Flavors: region flavors carry no mark and a region's catalog is shared, so only what the
 * platform provably owns is swept — a flavor whose id our catalog minted (an installFlavor
 * operation of ours ran on it) and whose catalog row is gone (see ./flavors.ts). Everything else
 * in a region is left alone, and a catalog flavor missing from a region is the `flavors/reconcile`
 * schedule's to reinstall.
 */
export const INVENTORIES = {
  compute: computeInventory,
  runtimes: runtimeInventory,
  apps: appInventory,
  clusters: clusterInventory,
  flavors: flavorInventory,
} satisfies Record<string, (deps: ActivityDeps) => DomainInventory>;

export type SweepDomain = keyof typeof INVENTORIES;
export const SWEEP_DOMAINS = Object.keys(INVENTORIES) as SweepDomain[];

export type { DomainInventory } from './types';
