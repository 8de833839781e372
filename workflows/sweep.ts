import { proxyActivities } from '@temporalio/workflow';
import type { CloudActivities } from '../activities/cloud';
import type { SweepActivities } from '../activities/sweep';
import type { ObjectKind, OwnerRef, SweepReport } from '../lib/inventory';
import { cloudWait, quickCall } from './support/activity-options';
import { Progress } from './support/progress';

const quick = proxyActivities<SweepActivities>(quickCall);
const wait = proxyActivities<CloudActivities>(cloudWait);
const sweepWait = proxyActivities<SweepActivities>(cloudWait);

export interface SweepInput {
  /** A domain of activities/inventory/index.ts (compute, runtimes, …). */
  domain: string;
  /** Drift younger than this is left alone (an operation may still be creating or deleting it); SWEEP_GRACE_MS. */
  graceMs: number;
}

/**
 * The orphan sweeper of one domain, run by the `sweep/<domain>` schedule: compares what the
 * domain's rows expect with what the cloud holds, and starts one operation per piece of drift
 * old enough to act on — removing a cloud object no row owns (removeOrphanVm, removeOrphanObject),
 * removing a row whose object vanished (the domain's own delete operation), or recording that
 * loss on the row (repairVanishedObject). Younger drift (an in-flight create) is left alone;
 * drift the domain leaves to someone else is only reported. The result lists all of it.
 */
export async function sweepOrphans({ domain, graceMs }: SweepInput): Promise<SweepReport> {
  const progress = new Progress(['Compare rows with the cloud', 'Remove drift'], `sweep/${domain}`);
  const found = await progress.run('Compare rows with the cloud', () =>
    quick.findDrift.executeWithOptions({ ...quickCall, summary: `Compare the ${domain} rows with the cloud` }, [{ domain, graceMs }]),
  );
  progress.note('Compare rows with the cloud', `${found.expected} expected, ${found.marked} marked, ${found.drift.length} drift`);
  const report: SweepReport = { ...found, started: [], busy: 0 };
  // Sweeps recorded before 'repair' existed found no such drift: the same commands replay.
  const removable = found.drift.filter((d) => d.action === 'remove' || d.action === 'repair');
  if (!removable.length) progress.skip('Remove drift', 'nothing old enough to remove');
  else {
    await progress.run('Remove drift', async () => {
      for (const drift of removable) {
        const r = await quick.startDriftRemoval.executeWithOptions(
          { ...quickCall, summary: `Start the removal of ${drift.kind} ${drift.cloudId} (${drift.owner.resourceType}/${drift.owner.resourceId})` },
          [{ drift, graceMs }],
        );
        if (r.outcome === 'started' && r.operationId) report.started.push(r.operationId);
        if (r.outcome === 'busy') report.busy++;
      }
    });
  }
  progress.completed();
  return report;
}

export interface RemoveOrphanVmInput {
  domain: string;
  vmId: string;
  /** The resource the VM's mark names (no row of it owns the VM). */
  owner: OwnerRef;
  graceMs: number;
}

/** An operation on `vm/<id>`: confirms the VM is still an orphan (old enough, unclaimed), then deletes it. */
export async function removeOrphanVm({ domain, vmId, owner, graceMs }: RemoveOrphanVmInput): Promise<{ removed: boolean; reason: string }> {
  const progress = new Progress(['Confirm orphan', 'Delete VM'], `vm/${vmId}`);
  const check = await progress.run('Confirm orphan', () =>
    quick.confirmOrphanVm.executeWithOptions(
      { ...quickCall, summary: `Check that VM ${vmId} (marked ${owner.resourceType}/${owner.resourceId}) is still an orphan` },
      [{ domain, vmId, graceMs }],
    ),
  );
  progress.note('Confirm orphan', check.reason);
  if (!check.orphan) {
    progress.skip('Delete VM', check.reason);
    progress.completed();
    return { removed: false, reason: check.reason };
  }
  await progress.run('Delete VM', () => wait.deleteVm.executeWithOptions({ ...cloudWait, summary: `Delete orphan VM ${vmId}` }, [vmId]));
  progress.completed();
  return { removed: true, reason: check.reason };
}

export interface RemoveOrphanObjectInput {
  domain: string;
  /** A deployment, a build or a region flavor (VMs go through removeOrphanVm). */
  kind: ObjectKind;
  cloudId: string;
  /** The resource the object's mark names (no row of it owns the object). */
  owner: OwnerRef;
  graceMs: number;
}

/**
 * An operation on `<kind>/<id>` (`deployment/dep-…`, `build/build-…`, `region-flavor/<region>.<id>`):
 * confirms the object is still an orphan (old enough, unclaimed), then deletes it — a deployment
 * with its pods, service and route, a build with its image, a flavor from its region's catalog.
 */
export async function removeOrphanObject({ domain, kind, cloudId, owner, graceMs }: RemoveOrphanObjectInput): Promise<{ removed: boolean; reason: string }> {
  const step = `Delete ${kind}`;
  const progress = new Progress(['Confirm orphan', step], `${kind}/${cloudId}`);
  const check = await progress.run('Confirm orphan', () =>
    quick.confirmOrphanObject.executeWithOptions(
      { ...quickCall, summary: `Check that ${kind} ${cloudId} (marked ${owner.resourceType}/${owner.resourceId}) is still an orphan` },
      [{ domain, kind, cloudId, graceMs }],
    ),
  );
  progress.note('Confirm orphan', check.reason);
  if (!check.orphan) {
    progress.skip(step, check.reason);
    progress.completed();
    return { removed: false, reason: check.reason };
  }
  await progress.run(step, () =>
    sweepWait.deleteOrphanObject.executeWithOptions({ ...cloudWait, summary: `Delete orphan ${kind} ${cloudId}` }, [{ kind, cloudId, domain }]),
  );
  progress.completed();
  return { removed: true, reason: check.reason };
}

export interface RepairVanishedInput {
  domain: string;
  kind: ObjectKind;
  cloudId: string;
  /** The resource whose rows refer to the object: the operation runs on its workflow ID. */
  owner: OwnerRef;
}

/**
 * An operation on the owner's resource (`app/<id>`, `cluster/<id>`), so it never races that
 * resource's own operations: confirms that its rows still refer to an object the cloud no longer
 * has, then records the loss as the domain's contract says (an app goes FAILED with the reason,
 * a cluster's node failed).
 */
export async function repairVanishedObject({ domain, kind, cloudId, owner }: RepairVanishedInput): Promise<{ repaired: boolean; reason: string }> {
  const progress = new Progress(['Confirm loss', 'Record loss'], `${owner.resourceType}/${owner.resourceId}`);
  const check = await progress.run('Confirm loss', () =>
    quick.confirmVanished.executeWithOptions(
      { ...quickCall, summary: `Check that ${kind} ${cloudId} of ${owner.resourceType}/${owner.resourceId} is still gone` },
      [{ domain, kind, cloudId, owner }],
    ),
  );
  progress.note('Confirm loss', check.reason);
  if (!check.vanished) {
    progress.skip('Record loss', check.reason);
    progress.completed();
    return { repaired: false, reason: check.reason };
  }
  const recorded = await progress.run('Record loss', () =>
    quick.recordVanishedObject.executeWithOptions({ ...quickCall, summary: `Record the loss of ${kind} ${cloudId} on ${owner.resourceType}/${owner.resourceId}` }, [
      { domain, kind, cloudId, owner },
    ]),
  );
  progress.note('Record loss', recorded);
  progress.completed();
  return { repaired: true, reason: recorded };
}
