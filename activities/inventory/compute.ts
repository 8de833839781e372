import type { InstanceState } from '../../db/compute';
import { OWNER_KEY, readOwnerMark, type ExpectedObject, type MarkedObject, type ObjectKind, type OwnerRef } from '../../lib/inventory';
import { startOperation } from '../../lib/operations';
import { deleteInstance } from '../../workflows/compute';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import type { CloudObject, DomainInventory } from './types';
import { vmsMarkedFor } from './vms';

/** Instance states an operation is in the middle of: the VM may come and go. */
const TRANSIENT: ReadonlySet<InstanceState> = new Set(['building', 'starting', 'stopping', 'deleting']);
const RESOURCE = 'instance';
/** Why a vanished volume or snapshot is only reported: losing one does not end the instance, whose user decides. */
const VANISHED_PART = 'reported only: the instance runs on without it, and its row stays until removed through Kahu';

/**
 * Compute (Kahu): each live instance row refers to one VM, and its volume and snapshot rows to
 * their cloud volumes and snapshots, all marked `instance/<id>` (context on the VM, labels on
 * volumes and snapshots).
 */
export function computeInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  const prefix = config.WORKFLOW_ID_PREFIX;
  const ownerOf = (row: { id: number; project_id: string }): OwnerRef => ({ resourceType: RESOURCE, resourceId: String(row.id), projectId: row.project_id });
  const instanceMark = (labels: Record<string, string>) => {
    const owner = readOwnerMark(prefix, labels);
    return owner?.resourceType === RESOURCE ? owner : null;
  };

  return {
    domain: 'compute',
    async expected() {
      const [instances, volumes, snapshots] = await Promise.all([
        db
          .selectFrom('instances')
          .select(['id', 'project_id', 'vm_id', 'state', 'updated_at'])
          .where('deleted_at', 'is', null)
          .where('vm_id', 'is not', null)
          .execute(),
        db
          .selectFrom('instance_volumes as v')
          .innerJoin('instances as i', 'i.id', 'v.instance_id')
          .select(['i.id', 'i.project_id', 'i.state as instance_state', 'v.state', 'v.cloud_volume_id as cloud_id', 'v.created_at'])
          .where('v.cloud_volume_id', 'is not', null)
          .execute(),
        db
          .selectFrom('instance_snapshots as s')
          .innerJoin('instances as i', 'i.id', 's.instance_id')
          .select(['i.id', 'i.project_id', 'i.state as instance_state', 's.state', 's.cloud_snapshot_id as cloud_id', 's.created_at'])
          .where('s.cloud_snapshot_id', 'is not', null)
          .execute(),
      ]);
      const out: ExpectedObject[] = instances.map((r) => ({
        kind: 'vm',
        cloudId: r.vm_id!,
        owner: ownerOf(r),
        rowUpdatedAt: r.updated_at.toISOString(),
        transient: TRANSIENT.has(r.state),
      }));
      const part = (kind: ObjectKind, r: (typeof volumes)[number] | (typeof snapshots)[number]): ExpectedObject => ({
        kind,
        cloudId: r.cloud_id!,
        owner: ownerOf(r),
        rowUpdatedAt: r.created_at.toISOString(),
        // Being created or deleted (or its instance is): the object may come and go.
        transient: r.state === 'creating' || r.state === 'deleting' || TRANSIENT.has(r.instance_state),
        onVanished: 'report',
        vanishedNote: VANISHED_PART,
      });
      for (const v of volumes) out.push(part('volume', v));
      for (const s of snapshots) out.push(part('snapshot', s));
      return out;
    },

    async cloudObjects(kinds = ['vm', 'volume', 'snapshot']) {
      const want = new Set(kinds);
      // VMs carry the mark in their context; marked volumes and snapshots come from a label listing.
      const [vms, volumes, snapshots] = await Promise.all([
        want.has('vm') ? vmsMarkedFor(cloud, prefix, RESOURCE) : [],
        want.has('volume') ? cloudCall(() => cloud.listVolumes({ label: OWNER_KEY })) : [],
        want.has('snapshot') ? cloudCall(() => cloud.listSnapshots({ label: OWNER_KEY })) : [],
      ]);
      const out: CloudObject[] = [...vms];
      for (const v of volumes) out.push({ kind: 'volume', cloudId: v.id, name: v.name, owner: instanceMark(v.labels), createdAt: v.createdAt, state: v.state });
      for (const s of snapshots) out.push({ kind: 'snapshot', cloudId: s.id, name: s.name, owner: instanceMark(s.labels), createdAt: s.createdAt, state: s.state });
      return out;
    },

    async isClaimed(object) {
      if (object.kind === 'volume') return volumeClaimed(object);
      if (object.kind === 'snapshot') return snapshotClaimed(object);
      const id = Number(object.owner.resourceId);
      const claim = await db
        .selectFrom('instances')
        .select('id')
        .where('deleted_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('vm_id', '=', object.cloudId),
            // Its create is in flight: the VM exists, the row has not recorded it yet.
            ...(Number.isSafeInteger(id) ? [eb.and([eb('id', '=', id), eb('vm_id', 'is', null), eb('state', '=', 'building')])] : []),
          ]),
        )
        .executeTakeFirst();
      return !!claim;
    },

    async removeVanished(deps, drift) {
      const instanceId = Number(drift.owner.resourceId);
      // deleteInstance releases what is left (volumes, snapshots; the VM is gone already) and marks the instance deleted.
      return startOperation(deps, {
        workflow: deleteInstance,
        args: [{ instanceId }],
        resourceType: 'instance',
        resourceId: String(instanceId),
        projectId: drift.owner.projectId ?? '-',
        summary: `Remove instance ${instanceId} (project ${drift.owner.projectId}): its VM ${drift.cloudId} vanished from the cloud; found by the orphan sweeper`,
        userId: null,
      });
    },
  };

  /** A volume row refers to it, or one of its instance's volumes is being created and has not recorded it yet. */
  async function volumeClaimed(object: MarkedObject): Promise<boolean> {
    const id = Number(object.owner.resourceId);
    const claim = await db
      .selectFrom('instance_volumes')
      .select('name')
      .where((eb) =>
        eb.or([
          eb('cloud_volume_id', '=', object.cloudId),
          ...(Number.isSafeInteger(id) ? [eb.and([eb('instance_id', '=', id), eb('cloud_volume_id', 'is', null), eb('state', '=', 'creating')])] : []),
        ]),
      )
      .executeTakeFirst();
    return !!claim;
  }

  /** A snapshot row refers to it, or one of its instance's snapshots is being created and has not recorded it yet. */
  async function snapshotClaimed(object: MarkedObject): Promise<boolean> {
    const id = Number(object.owner.resourceId);
    const claim = await db
      .selectFrom('instance_snapshots')
      .select('name')
      .where((eb) =>
        eb.or([
          eb('cloud_snapshot_id', '=', object.cloudId),
          ...(Number.isSafeInteger(id) ? [eb.and([eb('instance_id', '=', id), eb('cloud_snapshot_id', 'is', null), eb('state', '=', 'creating')])] : []),
        ]),
      )
      .executeTakeFirst();
    return !!claim;
  }
}
