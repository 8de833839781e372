import { CloudError } from '../../cloud/contract';
import { regionEndpointOf } from '../../db/flavors';
import type { AppDeps } from '../deps';
import { flavorError, regionNotFound } from './errors';
import { REGION_NAME } from './schemas';

/** A registered infrastructure (region), or the blueprint's 404. */
export async function registeredRegion(deps: AppDeps, region: string) {
  const infrastructure = REGION_NAME.test(region)
    ? await deps.db.selectFrom('flavor_infrastructures').selectAll().where('name', '=', region).executeTakeFirst()
    : undefined;
  if (!infrastructure) throw regionNotFound(region);
  return infrastructure;
}

/** The live catalog of a registered region, read with its stored credentials (the API only reads; changes are workflows). */
export async function regionCatalog(deps: AppDeps, region: string) {
  return deps.cloud.regionCatalog(regionEndpointOf(deps.config, await registeredRegion(deps, region)));
}

/**
 * A read from a region, its failures in the blueprint's codes: the region does not answer → 502,
 * refuses the stored credentials → 403, has no such object → 404 (`notFound`).
 */
export async function readRegion<T>(region: string, read: () => Promise<T>, notFound = `Not found in region ${region}`): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof CloudError)) throw err;
    if (err.code === 'not_found') throw flavorError(404, notFound);
    if (err.code === 'unauthorized') throw flavorError(403, `The region ${region} refused the stored credentials (${err.message}); register the infrastructure again with valid ones`);
    throw flavorError(502, `The region ${region} is not reachable: ${err.message}`);
  }
}
