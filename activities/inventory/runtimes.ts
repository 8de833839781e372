import type { RuntimeFunctionState } from '../../db/runtimes';
import type { ExpectedObject } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import type { DomainInventory } from './types';
import { vmsMarkedFor } from './vms';

/** Function states an operation is in the middle of. */
const TRANSIENT: ReadonlySet<RuntimeFunctionState> = new Set(['PENDING', 'UPDATING']);

/**
 * Serverless runtimes: each function of a live runtime refers to one VM, marked `runtime/<id>`.
 * A function whose VM vanished is its supervisor's to recreate (superviseRuntime → recoverRuntime),
 * so the sweeper only reports those.
 */
export function runtimeInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  const prefix = config.WORKFLOW_ID_PREFIX;
  return {
    domain: 'runtimes',
    vanishedNote: "left to the runtime's supervisor, which recreates the VM",
    async expected() {
      const rows = await db
        .selectFrom('runtime_functions as f')
        .innerJoin('runtimes as r', 'r.id', 'f.runtime_id')
        .select(['r.id', 'r.project_id', 'r.status', 'f.cloud_vm_id', 'f.state', 'f.updated_at'])
        .where('r.deleted_at', 'is', null)
        .where('f.cloud_vm_id', 'is not', null)
        .execute();
      return rows.map(
        (r): ExpectedObject => ({
          kind: 'vm',
          cloudId: r.cloud_vm_id!,
          owner: { resourceType: 'runtime', resourceId: String(r.id), projectId: r.project_id },
          rowUpdatedAt: r.updated_at.toISOString(),
          transient: r.status !== 'active' || TRANSIENT.has(r.state),
        }),
      );
    },
    cloudObjects: () => vmsMarkedFor(cloud, prefix, 'runtime'),
    async isClaimed(object) {
      const id = Number(object.owner.resourceId);
      const claim = await db
        .selectFrom('runtime_functions as f')
        .innerJoin('runtimes as r', 'r.id', 'f.runtime_id')
        .select('f.runtime_id')
        .where('r.deleted_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('f.cloud_vm_id', '=', object.cloudId),
            // Being created (or recreated by a recovery): the VM exists, the function has not recorded it yet.
            ...(Number.isSafeInteger(id) ? [eb.and([eb('r.id', '=', id), eb.or([eb('f.cloud_vm_id', 'is', null), eb('f.state', 'in', ['PENDING', 'ERROR'])])])] : []),
          ]),
        )
        .executeTakeFirst();
      return !!claim;
    },
  };
}
