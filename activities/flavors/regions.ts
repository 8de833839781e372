import { ApplicationFailure } from '@temporalio/common';
import { CloudError, type CloudErrorCode, type RegionFlavor, type RegionFlavorCatalog } from '../../cloud/contract';
import { regionEndpointOf } from '../../db/flavors';
import type { RegionFlavorSpec } from '../../workflows/flavors';
import { FLAVOR_FAILURES } from '../../workflows/flavors/names';
import type { ActivityDeps } from '../deps';
import { awaitRecorded } from '../support/records';

/** How each cloud error code reads as a region's failure; only the retryable ones are tried again. */
const REGION_FAILURES: Record<CloudErrorCode, { type: string; says: string }> = {
  unavailable: { type: FLAVOR_FAILURES.regionUnavailable, says: 'did not answer' },
  conflict: { type: FLAVOR_FAILURES.regionUnavailable, says: 'is busy' },
  unauthorized: { type: FLAVOR_FAILURES.credentialsRejected, says: 'refused the stored credentials' },
  exists: { type: FLAVOR_FAILURES.nameTaken, says: 'already has another flavor with that name' },
  invalid: { type: FLAVOR_FAILURES.invalid, says: 'rejected the flavor' },
  capacity: { type: FLAVOR_FAILURES.invalid, says: 'rejected the flavor' },
  not_found: { type: FLAVOR_FAILURES.notFound, says: 'does not know it' },
};

/**
 * Runs a call to one region's catalog; a CloudError becomes a typed failure naming the region,
 * retryable only when trying again can help (the region did not answer, or was busy).
 */
async function regionCall<T>(region: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof CloudError)) throw err;
    const { type, says } = REGION_FAILURES[err.code];
    throw ApplicationFailure.create({ type, message: `${region} ${says}: ${err.message}`, nonRetryable: !err.retryable });
  }
}

/** Calls to the regions' own flavor catalogs, with each region's stored credentials (opened here, never returned). */
export function createRegionActivities(deps: ActivityDeps) {
  const { db, cloud, config } = deps;
  async function catalogOf(region: string): Promise<RegionFlavorCatalog> {
    const infrastructure = await db.selectFrom('flavor_infrastructures').selectAll().where('name', '=', region).executeTakeFirst();
    if (!infrastructure) throw ApplicationFailure.nonRetryable(`${region} is not a registered infrastructure`, FLAVOR_FAILURES.notFound);
    return cloud.regionCatalog(regionEndpointOf(config, infrastructure));
  }

  return {
    /** Puts a catalog flavor into a region under the flavor's own id, so a repeat returns the one created first. */
    async installFlavorInRegion({ flavorId, region }: { flavorId: string; region: string }): Promise<void> {
      // The first step of a create with nodes: its row may commit a moment after the run starts (support/records.ts).
      const flavor = await awaitRecorded(deps, () => db.selectFrom('flavors').selectAll().where('id', '=', flavorId).executeTakeFirst(), `flavor ${flavorId}`).catch((err: unknown) => {
        if (err instanceof ApplicationFailure && err.type === 'NotFound') throw ApplicationFailure.nonRetryable(`flavor ${flavorId} no longer exists`, FLAVOR_FAILURES.notFound);
        throw err;
      });
      const catalog = await catalogOf(region);
      const { id, name, vcpus, ram, disk, swap } = flavor;
      await regionCall(region, () => catalog.createFlavor({ id, name, vcpus, ram, disk, swap }));
    },

    /** Creates a flavor of the region's own (its id chosen by the API, so a retry finds the first one). */
    async createFlavorInRegion({ region, flavor }: { region: string; flavor: RegionFlavorSpec }): Promise<RegionFlavor> {
      const catalog = await catalogOf(region);
      return regionCall(region, () => catalog.createFlavor(flavor));
    },

    /** Idempotent: a flavor the region does not have is already deleted. */
    async deleteFlavorInRegion({ flavorId, region }: { flavorId: string; region: string }): Promise<void> {
      const catalog = await catalogOf(region);
      await regionCall(region, () => catalog.deleteFlavor(flavorId));
    },
  };
}
