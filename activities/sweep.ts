import { ApplicationFailure } from '@temporalio/common';
import type { Drift, MarkedObject, ObjectKind, OwnerRef, SweepReport } from '../lib/inventory';
import { OperationInProgressError, startOperation } from '../lib/operations';
import { removeOrphanObject, removeOrphanVm, repairVanishedObject } from '../workflows/sweep';
import type { ActivityDeps } from './deps';
import { INVENTORIES, type DomainInventory, type SweepDomain } from './inventory';
import { cloudCall, isNotFound } from './support/cloud-errors';
import { pollUntil } from './support/poll';

export interface DriftFound {
  domain: string;
  expected: number;
  marked: number;
  drift: Drift[];
}

/** How each kind reads in messages. */
const KIND_NAME: Record<ObjectKind, string> = {
  vm: 'VM',
  deployment: 'deployment',
  build: 'build',
  pod: 'pod',
  'region-flavor': 'region flavor',
  volume: 'volume',
  snapshot: 'snapshot',
};

/** The orphan sweeper's side effects: compare a domain's rows with the cloud, and start removals and repairs as operations. */
export function createSweepActivities(deps: ActivityDeps) {
  const { cloud, config } = deps;

  function inventoryOf(domain: string): DomainInventory {
    const make = INVENTORIES[domain as SweepDomain];
    if (!make) throw ApplicationFailure.nonRetryable(`no inventory for domain '${domain}'`, 'InvalidRequest');
    return make(deps);
  }

  const ageOf = (iso: string, now: number) => Math.max(0, now - Date.parse(iso));

  /** The object's name and state, or null once it is gone (deleted, or unknown to the cloud); other errors propagate. */
  async function existing(kind: ObjectKind, id: string, inventory?: DomainInventory): Promise<{ name: string; state: string } | null> {
    if (inventory?.readObject && kind === 'region-flavor') return inventory.readObject(kind, id);
    try {
      if (kind === 'region-flavor') throw ApplicationFailure.nonRetryable('a region flavor is read through its domain', 'InvalidRequest');
      const object =
        kind === 'vm'
          ? await cloud.getVm(id)
          : kind === 'deployment'
            ? await cloud.getDeployment(id)
            : kind === 'build'
              ? await cloud.getBuild(id)
              : kind === 'volume'
                ? await cloud.getVolume(id)
                : kind === 'snapshot'
                  ? await cloud.getSnapshot(id)
                  : await cloud.getPod(id);
      return object.state === 'deleted' ? null : object;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * Is it still an orphan, just before it is deleted? Marked for this domain, older than the grace
   * period, and claimed by no row.
   */
  async function confirmOrphan(domain: string, kind: ObjectKind, cloudId: string, graceMs: number): Promise<{ orphan: boolean; reason: string }> {
    const inventory = inventoryOf(domain);
    const name = `${KIND_NAME[kind]} ${cloudId}`;
    const found = await existing(kind, cloudId, inventory);
    if (!found) return { orphan: false, reason: `${name} is gone already` };
    const object = (await inventory.cloudObjects([kind])).find((o) => o.kind === kind && o.cloudId === cloudId);
    if (!object?.owner) return { orphan: false, reason: `${name} carries no ${domain} mark of this deployment` };
    const ageMs = ageOf(object.createdAt, Date.now());
    if (ageMs < graceMs) return { orphan: false, reason: `${name} is ${Math.round(ageMs / 1000)} s old, inside the grace period` };
    if (await inventory.isClaimed(object as MarkedObject)) return { orphan: false, reason: `a ${domain} row claims ${name} now` };
    return {
      orphan: true,
      reason: `${name} (${found.name}) is marked for ${object.owner.resourceType}/${object.owner.resourceId}, which no row owns, and is ${Math.round(ageMs / 1000)} s old`,
    };
  }

  return {
    /**
     * Reads what the domain's rows expect and what the cloud holds (rows first: an object created
     * in between then looks like an orphan, and is young, so it is left alone), and classifies
     * each difference. An expected object the listing misses is read directly before it counts as
     * vanished (listings may leave out unmarked objects, e.g. ones created before the mark was).
     */
    async findDrift({ domain, graceMs }: { domain: string; graceMs: number }): Promise<DriftFound> {
      const inventory = inventoryOf(domain);
      const expected = await inventory.expected();
      const objects = await inventory.cloudObjects();
      const now = Date.now();
      const live = new Set(objects.map((o) => `${o.kind}:${o.cloudId}`));
      const referenced = new Set(expected.map((e) => `${e.kind}:${e.cloudId}`));
      const drift: Drift[] = [];
      const marked = objects.filter((o): o is MarkedObject => o.owner !== null);
      for (const o of marked) {
        if (referenced.has(`${o.kind}:${o.cloudId}`)) continue;
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
      const unlisted = expected.filter((e) => !live.has(`${e.kind}:${e.cloudId}`) && !e.transient);
      const stillThere = await Promise.all(unlisted.map(async (e) => !!(await cloudCall(() => existing(e.kind, e.cloudId, inventory)))));
      for (const [i, e] of unlisted.entries()) {
        if (stillThere[i]) continue;
        const ageMs = ageOf(e.rowUpdatedAt, now);
        const young = ageMs < graceMs;
        const repair = e.onVanished === 'repair' && !!inventory.recordVanished;
        const remove = !repair && e.onVanished !== 'report' && !!inventory.removeVanished;
        drift.push({
          domain,
          kind: 'vanished-object',
          objectKind: e.kind,
          cloudId: e.cloudId,
          owner: e.owner,
          ageMs,
          action: young ? 'wait' : repair ? 'repair' : remove ? 'remove' : 'report',
          detail: `${e.owner.resourceType}/${e.owner.resourceId} refers to ${e.kind} ${e.cloudId}, which the cloud no longer has${
            young ? '; the row changed recently, inside the grace period' : repair || remove ? '' : `; ${e.vanishedNote ?? inventory.vanishedNote ?? 'reported only'}`
          }`,
        });
      }
      return { domain, expected: expected.length, marked: marked.length, drift };
    },

    /** Starts the operation that removes (or repairs) one piece of drift; 'busy' when another operation holds its resource. */
    async startDriftRemoval({ drift, graceMs }: { drift: Drift; graceMs: number }): Promise<{ operationId: string | null; outcome: 'started' | 'busy' | 'gone' }> {
      const inventory = inventoryOf(drift.domain);
      const owner = `${drift.owner.resourceType}/${drift.owner.resourceId}`;
      try {
        if (drift.kind === 'orphan-object') {
          const started =
            drift.objectKind === 'vm'
              ? await startOperation(deps, {
                  workflow: removeOrphanVm,
                  args: [{ domain: drift.domain, vmId: drift.cloudId, owner: drift.owner, graceMs }],
                  resourceType: 'vm',
                  resourceId: drift.cloudId,
                  projectId: drift.owner.projectId ?? '-',
                  summary: `Remove orphan VM ${drift.cloudId}: marked for ${owner}, which no ${drift.domain} row owns; found by the orphan sweeper`,
                  userId: null,
                })
              : await startOperation(deps, {
                  workflow: removeOrphanObject,
                  args: [{ domain: drift.domain, kind: drift.objectKind, cloudId: drift.cloudId, owner: drift.owner, graceMs }],
                  resourceType: drift.objectKind,
                  resourceId: drift.cloudId,
                  projectId: drift.owner.projectId ?? '-',
                  summary: `Remove orphan ${KIND_NAME[drift.objectKind]} ${drift.cloudId}: marked for ${owner}, which no ${drift.domain} row owns; found by the orphan sweeper`,
                  userId: null,
                });
          return { operationId: started.operationId, outcome: 'started' };
        }
        const repair = drift.action === 'repair' && !!inventory.recordVanished;
        if (!repair && !inventory.removeVanished) return { operationId: null, outcome: 'gone' };
        // Look again: the row may have moved on (or the object come back) since the sweep read them.
        const still = (await inventory.expected()).find(
          (e) => e.kind === drift.objectKind && e.cloudId === drift.cloudId && e.owner.resourceId === drift.owner.resourceId,
        );
        if (!still || still.transient || (await existing(drift.objectKind, drift.cloudId, inventory))) return { operationId: null, outcome: 'gone' };
        const started = repair
          ? await startOperation(deps, {
              workflow: repairVanishedObject,
              args: [{ domain: drift.domain, kind: drift.objectKind, cloudId: drift.cloudId, owner: drift.owner }],
              // On the owner's own resource: one at a time with its deploys, launches and deletes.
              resourceType: drift.owner.resourceType,
              resourceId: drift.owner.resourceId,
              projectId: drift.owner.projectId ?? '-',
              summary: `Record that ${KIND_NAME[drift.objectKind]} ${drift.cloudId} of ${owner} (project ${drift.owner.projectId}) vanished from the cloud; found by the orphan sweeper`,
              userId: null,
            })
          : await inventory.removeVanished!(deps, drift);
        return { operationId: started.operationId, outcome: 'started' };
      } catch (err) {
        if (err instanceof OperationInProgressError) return { operationId: err.operationId, outcome: 'busy' };
        throw err;
      }
    },

    /** confirmOrphan for a VM (removeOrphanVm's step; kept for its recorded histories). */
    async confirmOrphanVm({ domain, vmId, graceMs }: { domain: string; vmId: string; graceMs: number }): Promise<{ orphan: boolean; reason: string }> {
      return confirmOrphan(domain, 'vm', vmId, graceMs);
    },

    /** Just before an orphan deployment, build, volume, snapshot or region flavor is deleted: is it still one? */
    async confirmOrphanObject({ domain, kind, cloudId, graceMs }: { domain: string; kind: ObjectKind; cloudId: string; graceMs: number }): Promise<{ orphan: boolean; reason: string }> {
      return confirmOrphan(domain, kind, cloudId, graceMs);
    },

    /**
     * Deletes an orphan deployment (its pods, service and route with it), build (its image with it),
     * volume, snapshot or region flavor (through its domain, with the region's credentials), and
     * waits until it is gone.
     */
    async deleteOrphanObject({ kind, cloudId, domain }: { kind: ObjectKind; cloudId: string; domain?: string }): Promise<void> {
      const inventory = domain ? inventoryOf(domain) : undefined;
      if (kind === 'deployment') await cloudCall(() => cloud.deleteDeployment(cloudId));
      else if (kind === 'build') await cloudCall(() => cloud.deleteBuild(cloudId));
      // An orphan volume may still be attached (to what is left of its instance's VM): simcloud detaches a volume as it deletes it.
      else if (kind === 'volume') await cloudCall(() => cloud.deleteVolume(cloudId));
      else if (kind === 'snapshot') await cloudCall(() => cloud.deleteSnapshot(cloudId));
      else if (inventory?.deleteObject && kind === 'region-flavor') await inventory.deleteObject(kind, cloudId);
      else throw ApplicationFailure.nonRetryable(`a ${KIND_NAME[kind]} is not removed on its own`, 'InvalidRequest');
      await pollUntil(
        async () => ((await existing(kind, cloudId, inventory)) ? undefined : true),
        config.CLOUD_POLL_MS,
        () => `waiting for ${KIND_NAME[kind]} ${cloudId} to be deleted`,
      );
    },

    /** Inside the repair operation: does the row still refer to the object, and is the object still gone? */
    async confirmVanished({ domain, kind, cloudId, owner }: { domain: string; kind: ObjectKind; cloudId: string; owner: OwnerRef }): Promise<{ vanished: boolean; reason: string }> {
      const name = `${KIND_NAME[kind]} ${cloudId}`;
      const inventory = inventoryOf(domain);
      if (await existing(kind, cloudId, inventory)) return { vanished: false, reason: `${name} is there again` };
      const still = (await inventory.expected()).find((e) => e.kind === kind && e.cloudId === cloudId && e.owner.resourceId === owner.resourceId);
      if (!still) return { vanished: false, reason: `no ${domain} row refers to ${name} any more` };
      if (still.transient) return { vanished: false, reason: `${owner.resourceType}/${owner.resourceId} is in the middle of an operation` };
      return { vanished: true, reason: `${owner.resourceType}/${owner.resourceId} refers to ${name}, which the cloud no longer has` };
    },

    /** Records the loss on the rows (the domain's recordVanished): what changed, or why nothing did. */
    async recordVanishedObject({ domain, kind, cloudId, owner }: { domain: string; kind: ObjectKind; cloudId: string; owner: OwnerRef }): Promise<string> {
      const inventory = inventoryOf(domain);
      if (!inventory.recordVanished) throw ApplicationFailure.nonRetryable(`the ${domain} inventory records no vanished objects`, 'InvalidRequest');
      return (await inventory.recordVanished({ kind, cloudId, owner })) ?? `no ${domain} row refers to ${KIND_NAME[kind]} ${cloudId} any more: nothing to record`;
    },
  };
}

export type SweepActivities = ReturnType<typeof createSweepActivities>;
export type { SweepReport };
