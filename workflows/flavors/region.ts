import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CreateRegionFlavorRequest, RegionFlavor } from '../../cloud/contract';
import { quickCall, recordCall } from '../support/activity-options';
import { Progress } from '../support/progress';
import { eachRegion, inRegion, settle } from './fan-out';
import { FLAVOR_RESOURCE, REGION_FLAVOR_RESOURCE, regionFlavorResourceId } from './names';

const quick = proxyActivities<Activities>(quickCall);
const record = proxyLocalActivities<Activities>(recordCall);

/** A flavor of one region's own catalog, as created there (the id is chosen by the API). */
export type RegionFlavorSpec = Required<Pick<CreateRegionFlavorRequest, 'id' | 'name' | 'vcpus' | 'ram' | 'disk' | 'swap'>>;

export interface RegionFlavorInput {
  region: string;
  regionTimeoutMs: number;
}

/** Creates a flavor in one region's own catalog (the seed's "private flavor"); retried while the region does not answer. */
export async function createRegionFlavor({ region, flavor, regionTimeoutMs }: RegionFlavorInput & { flavor: RegionFlavorSpec }): Promise<RegionFlavor> {
  const step = `Create in ${region}`;
  const progress = new Progress([step], `${REGION_FLAVOR_RESOURCE}/${regionFlavorResourceId(region, flavor.id)}`);
  let created: RegionFlavor | undefined;
  const failures = await eachRegion(progress, [region], () => step, async () => {
    created = await quick.createFlavorInRegion.executeWithOptions(inRegion(regionTimeoutMs, `Create flavor ${flavor.name} in ${region}`), [{ region, flavor }]);
  });
  settle(progress, `create flavor ${flavor.name}`, failures);
  return created!;
}

/**
 * Deletes a flavor from one region's catalog. When it is a flavor of our catalog installed there,
 * that region also stops being one of its nodes, so the reconcile schedule does not bring it back.
 */
export async function deleteRegionFlavor({
  region,
  flavorId,
  inCatalog,
  regionTimeoutMs,
}: RegionFlavorInput & { flavorId: string; inCatalog: boolean }): Promise<{ deleted: true }> {
  const step = `Delete from ${region}`;
  const resource = inCatalog ? `${FLAVOR_RESOURCE}/${flavorId}` : `${REGION_FLAVOR_RESOURCE}/${regionFlavorResourceId(region, flavorId)}`;
  const progress = new Progress(inCatalog ? [step, 'Forget node'] : [step], resource);
  const failures = await eachRegion(progress, [region], () => step, async () => {
    await quick.deleteFlavorInRegion.executeWithOptions(inRegion(regionTimeoutMs, `Delete flavor ${flavorId} from ${region}`), [{ region, flavorId }]);
    if (inCatalog) await progress.run('Forget node', () => record.forgetFlavorNode({ flavorId, region }));
  });
  settle(progress, `delete flavor ${flavorId}`, failures);
  return { deleted: true };
}
