import { ApplicationFailure } from '@temporalio/common';
import type { Drift, MarkedObject, SweepReport } from '../lib/inventory';
import { OperationInProgressError, startOperation } from '../lib/operations';
import { removeOrphanVm } from '../workflows/sweep';
import type { ActivityDeps } from './deps';
import { INVENTORIES, type DomainInventory, type SweepDomain } from './inventory';
import { existingVm } from './support/cloud-errors';

export interface DriftFound {
  domain: string;
  expected: number;
  marked: number;
  drift: Drift[];
}

/** The orphan sweeper's side effects: compare a domain's rows with the cloud, and start removals as operations. */
export function createSweepActivities(deps: ActivityDeps) {
  const { cloud } = deps;

  function inventoryOf(domain: string): DomainInventory {
    const make = INVENTORIES[domain as SweepDomain];
    if (!make) throw ApplicationFailure.nonRetryable(`no inventory for domain '${domain}'`, 'InvalidRequest');
    return make(deps);
  }

  const ageOf = (iso: string, now: number) => Math.max(0, now - Date.parse(iso));

  return {
    /**
     * Reads what the domain's rows expect and what the cloud holds (rows first: an object created
     * in between then looks like an orphan, and is young, so it is left alone), and classifies
     * each difference.
     */
    async findDrift({ domain, graceMs }: { domain: string; graceMs: number }): Promise<DriftFound> {
      const inventory = inventoryOf(domain);
      const expected = await inventory.expected();
      const objects = await inventory.cloudObjects();
      const now = Date.now();
      const live = new Set(objects.map((o) => o.cloudId));
      const referenced = new Set(expected.map((e) => e.cloudId));
      const drift: Drift[] = [];
      const marked = objects.filter((o): o is MarkedObject => o.owner !== null);
      for (const o of marked) {
        if (referenced.has(o.cloudId)) continue;
        const ageMs = ageOf(o.createdAt, now);
        const young = ageMs < graceMs;
        drift.push({
          domain,
          kind: 'orphan-object',
          objectKind: o.kind,
          cloudId: o.cloudId,
          owner: o.owner,
          ageMs,
          action: young ? 'wait' : 'remove',
          detail: `${o.kind} ${o.cloudId} (${o.name}, ${o.state}) is marked for ${o.owner.resourceType}/${o.owner.resourceId} but no row refers to it${
            young ? `; ${Math.round(ageMs / 1000)} s old, inside the grace period` : ''
          }`,
        });
      }
      for (const e of expected) {
        if (live.has(e.cloudId) || e.transient) continue;
        const ageMs = ageOf(e.rowUpdatedAt, now);
        const young = ageMs < graceMs;
        drift.push({
          domain,
          kind: 'vanished-object',
          objectKind: e.kind,
          cloudId: e.cloudId,
          owner: e.owner,
          ageMs,
          action: young ? 'wait' : inventory.removeVanished ? 'remove' : 'report',
          detail: `${e.owner.resourceType}/${e.owner.resourceId} refers to ${e.kind} ${e.cloudId}, which the cloud no longer has${
            young ? '; the row changed recently, inside the grace period' : inventory.removeVanished ? '' : `; ${inventory.vanishedNote ?? 'reported only'}`
          }`,
        });
      }
      return { domain, expected: expected.length, marked: marked.length, drift };
    },

    /** Starts the operation that removes one piece of drift; 'busy' when another operation holds its resource. */
    async startDriftRemoval({ drift, graceMs }: { drift: Drift; graceMs: number }): Promise<{ operationId: string | null; outcome: 'started' | 'busy' | 'gone' }> {
      const inventory = inventoryOf(drift.domain);
      try {
        if (drift.kind === 'orphan-object') {
          const started = await startOperation(deps, {
            workflow: removeOrphanVm,
            args: [{ domain: drift.domain, vmId: drift.cloudId, owner: drift.owner, graceMs }],
            resourceType: 'vm',
            resourceId: drift.cloudId,
            projectId: drift.owner.projectId ?? '-',
            summary: `Remove orphan VM ${drift.cloudId}: marked for ${drift.owner.resourceType}/${drift.owner.resourceId}, which no ${drift.domain} row owns; found by the orphan sweeper`,
            userId: null,
          });
          return { operationId: started.operationId, outcome: 'started' };
        }
        if (!inventory.removeVanished) return { operationId: null, outcome: 'gone' };
        // Look again: the row may have moved on (or the object come back) since the sweep read them.
        const still = (await inventory.expected()).find((e) => e.cloudId === drift.cloudId && e.owner.resourceId === drift.owner.resourceId);
        if (!still || still.transient || (await existingVm(cloud, drift.cloudId))) return { operationId: null, outcome: 'gone' };
        const started = await inventory.removeVanished(deps, drift);
        return { operationId: started.operationId, outcome: 'started' };
      } catch (err) {
        if (err instanceof OperationInProgressError) return { operationId: err.operationId, outcome: 'busy' };
        throw err;
      }
    },

    /**
     * Just before an orphan VM is deleted: is it still one? Marked for this domain, older than the
     * grace period, and claimed by no row.
     */
    async confirmOrphanVm({ domain, vmId, graceMs }: { domain: string; vmId: string; graceMs: number }): Promise<{ orphan: boolean; reason: string }> {
      const inventory = inventoryOf(domain);
      const vm = await existingVm(cloud, vmId);
      if (!vm) return { orphan: false, reason: `VM ${vmId} is gone already` };
      const object = (await inventory.cloudObjects()).find((o) => o.cloudId === vmId);
      if (!object?.owner) return { orphan: false, reason: `VM ${vmId} carries no ${domain} mark of this deployment` };
      const ageMs = ageOf(object.createdAt, Date.now());
      if (ageMs < graceMs) return { orphan: false, reason: `VM ${vmId} is ${Math.round(ageMs / 1000)} s old, inside the grace period` };
      if (await inventory.isClaimed(object as MarkedObject)) return { orphan: false, reason: `a ${domain} row claims VM ${vmId} now` };
      return {
        orphan: true,
        reason: `VM ${vmId} (${vm.name}) is marked for ${object.owner.resourceType}/${object.owner.resourceId}, which no row owns, and is ${Math.round(ageMs / 1000)} s old`,
      };
    },
  };
}

export type SweepActivities = ReturnType<typeof createSweepActivities>;
export type { SweepReport };
