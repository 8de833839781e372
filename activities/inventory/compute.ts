import type { InstanceState } from '../../db/compute';
import type { ExpectedObject } from '../../lib/inventory';
import { startOperation } from '../../lib/operations';
import { deleteInstance } from '../../workflows/compute';
import type { ActivityDeps } from '../deps';
import type { DomainInventory } from './types';
import { vmsMarkedFor } from './vms';

/** Instance states an operation is in the middle of: the VM may come and go. */
const TRANSIENT: ReadonlySet<InstanceState> = new Set(['building', 'starting', 'stopping', 'deleting']);

/** Compute (Kahu): each live instance row refers to one VM, marked `instance/<id>`. */
export function computeInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  const prefix = config.WORKFLOW_ID_PREFIX;
  return {
    domain: 'compute',
    async expected() {
      const rows = await db
        .selectFrom('instances')
        .select(['id', 'project_id', 'vm_id', 'state', 'updated_at'])
        .where('deleted_at', 'is', null)
        .where('vm_id', 'is not', null)
        .execute();
      return rows.map(
        (r): ExpectedObject => ({
          kind: 'vm',
          cloudId: r.vm_id!,
          owner: { resourceType: 'instance', resourceId: String(r.id), projectId: r.project_id },
          rowUpdatedAt: r.updated_at.toISOString(),
          transient: TRANSIENT.has(r.state),
        }),
      );
    },
    cloudObjects: () => vmsMarkedFor(cloud, prefix, 'instance'),
    async isClaimed(object) {
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
}

