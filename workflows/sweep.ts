import { proxyActivities } from '@temporalio/workflow';
import type { CloudActivities } from '../activities/cloud';
import type { SweepActivities } from '../activities/sweep';
import type { OwnerRef, SweepReport } from '../lib/inventory';
import { cloudWait, quickCall } from './support/activity-options';
import { Progress } from './support/progress';

const quick = proxyActivities<SweepActivities>(quickCall);
const wait = proxyActivities<CloudActivities>(cloudWait);

export interface SweepInput {
  /** A domain of activities/inventory/index.ts (compute, runtimes, …). */
  domain: string;
  /** Drift younger than this is left alone (an operation may still be creating or deleting it); SWEEP_GRACE_MS. */
  graceMs: number;
}

/**
 * The orphan sweeper of one domain, run by the `sweep/<domain>` schedule: compares what the
 * domain's rows expect with what the cloud holds, and starts one operation per piece of drift
 * old enough to act on — removing a cloud object no row owns (removeOrphanVm), or a row whose
 * object vanished (the domain's own delete operation). Younger drift (an in-flight create) is
 * left alone; drift the domain leaves to someone else is only reported. The result lists all of it.
 */
export async function sweepOrphans({ domain, graceMs }: SweepInput): Promise<SweepReport> {
  const progress = new Progress(['Compare rows with the cloud', 'Remove drift'], `sweep/${domain}`);
  const found = await progress.run('Compare rows with the cloud', () =>
    quick.findDrift.executeWithOptions({ ...quickCall, summary: `Compare the ${domain} rows with the cloud` }, [{ domain, graceMs }]),
  );
  progress.note('Compare rows with the cloud', `${found.expected} expected, ${found.marked} marked, ${found.drift.length} drift`);
  const report: SweepReport = { ...found, started: [], busy: 0 };
  const removable = found.drift.filter((d) => d.action === 'remove');
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
