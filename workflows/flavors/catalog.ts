import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { quickCall, recordCall } from '../support/activity-options';
import { Progress } from '../support/progress';
import { eachRegion, inRegion, settle } from './fan-out';
import { FLAVOR_RESOURCE } from './names';

const quick = proxyActivities<Activities>(quickCall);
const record = proxyLocalActivities<Activities>(recordCall);

export interface FlavorInput {
  flavorId: string;
  /** How long each region keeps retrying before it counts as failed (FLAVORS_REGION_TIMEOUT_MS). */
  regionTimeoutMs: number;
}

export interface InstallFlavorInput extends FlavorInput {
  regions: string[];
}

const resourceOf = (flavorId: string) => `${FLAVOR_RESOURCE}/${flavorId}`;
const installStep = (region: string) => `Install in ${region}`;
const removeStep = (region: string) => `Remove from ${region}`;

/**
 * Installs a catalog flavor into regions, all at once, one activity per region with its own
 * retries. Each region is recorded as a node of the flavor as soon as it holds the flavor, so the
 * flavor's nodes say where it really is. A region that stays down fails the operation, naming it
 * and why; the other regions stay installed. Installing again is harmless (the flavor's id is the
 * region's idempotency key), which is how a retry, or a repair, completes it.
 */
export async function installFlavor({ flavorId, regions, regionTimeoutMs }: InstallFlavorInput): Promise<{ installed: string[] }> {
  const progress = new Progress(regions.map(installStep), resourceOf(flavorId));
  const failures = await eachRegion(progress, regions, installStep, async (region) => {
    await quick.installFlavorInRegion.executeWithOptions(inRegion(regionTimeoutMs, `Install flavor ${flavorId} in ${region}`), [{ flavorId, region }]);
    await record.recordFlavorNode({ flavorId, region });
  });
  settle(progress, 'install the flavor', failures);
  return { installed: regions };
}

/**
 * Removes a catalog flavor from every region holding it, all at once, then forgets it. A region
 * that stays down fails the operation, naming it; the flavor then stays, with that region as its
 * only nodes, so deleting again finishes the job.
 */
export async function deleteFlavor({ flavorId, regionTimeoutMs }: FlavorInput): Promise<{ deleted: true }> {
  const progress = new Progress(['Find regions'], resourceOf(flavorId));
  const regions = await progress.run('Find regions', () => record.flavorNodes({ flavorId }));
  const failures = await eachRegion(progress, regions, removeStep, async (region) => {
    await quick.deleteFlavorInRegion.executeWithOptions(inRegion(regionTimeoutMs, `Remove flavor ${flavorId} from ${region}`), [{ flavorId, region }]);
    await record.forgetFlavorNode({ flavorId, region });
  });
  if (!failures.length) await progress.run('Forget flavor', () => record.forgetFlavor({ flavorId }));
  settle(progress, 'remove the flavor', failures);
  return { deleted: true };
}

export interface ReconcileResult {
  /** Flavors missing from regions that should hold them, and the repair operation started for each (null: busy, next time). */
  repairs: Array<{ flavorId: string; regions: string[]; operationId: string | null }>;
  /** Flavors missing where the region now has another flavor of the same name: left for a person to sort out. */
  conflicts: Array<{ flavorId: string; region: string; reason: string }>;
  /** Regions whose catalog could not be read this time (they are compared on a later run). */
  unreadable: Array<{ region: string; reason: string }>;
}

/**
 * Drift repair, run by a Temporal schedule: compares every flavor's recorded nodes with what each
 * region's catalog really holds, and for each flavor missing somewhere starts an installFlavor
 * operation on it, like any client would ("Repair: …"), so each repair is an operation of its own.
 */
export async function reconcileFlavors(): Promise<ReconcileResult> {
  const progress = new Progress(['Compare catalogs', 'Start repairs'], FLAVOR_RESOURCE);
  const drift = await progress.run('Compare catalogs', () =>
    quick.findFlavorDrift.executeWithOptions({ ...quickCall, summary: 'Compare recorded nodes with each region’s catalog' }, []),
  );
  const repairs = await progress.run('Start repairs', () =>
    Promise.all(
      drift.missing.map(async (m) => ({
        ...m,
        operationId: await quick.startFlavorRepair.executeWithOptions({ ...quickCall, summary: `Repair flavor ${m.flavorId}` }, [m]),
      })),
    ),
  );
  if (!repairs.length) progress.note('Start repairs', 'every region holds its flavors');
  if (drift.conflicts.length) progress.note('Compare catalogs', drift.conflicts.map((c) => c.reason).join('; '));
  progress.completed();
  return { repairs, conflicts: drift.conflicts, unreadable: drift.unreadable };
}
