/**
 * Every surface a chaos run drives, one row each (the apps driver last: that surface is the newest).
 * A new surface joins with its module beside these and one more row.
 */
import type { Surface } from '../options';
import { appDriver } from './apps';
import { clusterDriver } from './clusters';
import { computeDriver } from './compute';
import { flavorDriver } from './flavors';
import { runtimeDriver } from './runtimes';
import type { ChaosDriver } from './types';

export const CHAOS_DRIVERS: ChaosDriver[] = [computeDriver, runtimeDriver, flavorDriver, clusterDriver, appDriver];

export function driversFor(surfaces: readonly Surface[]): ChaosDriver[] {
  return CHAOS_DRIVERS.filter((d) => surfaces.includes(d.surface));
}

export type { ChaosDriver, CloudSnapshot, DriverContext, OwnedObject } from './types';
