import type { AppStatus, PodRef } from '../../db/apps';
import { OWNER_KEY, readOwnerMark, type ExpectedObject, type ObjectKind } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import type { CloudObject, DomainInventory, VanishedObject } from './types';

/** App statuses an operation is in the middle of (deploy, delete): its objects may come and go. */
const TRANSIENT: ReadonlySet<AppStatus> = new Set(['CREATED', 'INITIALIZING', 'INITIALISED', 'BUILDING', 'DEPLOYNG', 'DELETING']);
const RESOURCE = 'app';
const FOUND = 'found by the orphan sweeper';

/**
 * NUBOMEDIA PaaS apps: each app refers to its build, its own container deployment and its
 * supporting services' (with their pods), and its media-server VMs, all marked `app/<id>` (labels
 * on builds and deployments, context on VMs).
 *
 * When one vanishes from the cloud, the app's contract decides: an app whose deployment, a
 * supporting service's deployment or a media server's VM is gone no longer serves as RUNNING —
 * it goes FAILED with the reason (and the lost reference is cleared, so it is recorded once);
 * a vanished build is forgotten (the app runs from its image; its log is kept with the app); a
 * vanished pod is reported only (it belongs to its deployment, which is compared on its own).
 */
export function appInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  const prefix = config.WORKFLOW_ID_PREFIX;
  const ownerOf = (appId: string, projectId: string) => ({ resourceType: RESOURCE, resourceId: appId, projectId });
  const appMark = (marks: Record<string, string> | undefined) => {
    const owner = readOwnerMark(prefix, marks);
    return owner?.resourceType === RESOURCE ? owner : null;
  };

  return {
    domain: 'apps',
    async expected() {
      const [apps, services, mediaServers] = await Promise.all([
        db.selectFrom('apps').select(['id', 'project_id', 'status', 'build_id', 'deployment_id', 'pods', 'updated_at']).execute(),
        db
          .selectFrom('app_services as s')
          .innerJoin('apps as a', 'a.id', 's.app_id')
          .select(['a.id', 'a.project_id', 'a.status', 'a.updated_at', 's.name', 's.deployment_id', 's.pods'])
          .execute(),
        db
          .selectFrom('app_media_servers as m')
          .innerJoin('apps as a', 'a.id', 'm.app_id')
          .select(['a.id', 'a.project_id', 'a.status', 'a.updated_at', 'm.hostname', 'm.vm_id', 'm.status as ms_status'])
          .where('m.vm_id', 'is not', null)
          .execute(),
      ]);
      const out: ExpectedObject[] = [];
      const add = (row: { id: string; project_id: string; status: AppStatus; updated_at: Date }, kind: ObjectKind, cloudId: string, extra: Partial<ExpectedObject> = {}) =>
        out.push({
          kind,
          cloudId,
          owner: ownerOf(row.id, row.project_id),
          rowUpdatedAt: row.updated_at.toISOString(),
          transient: TRANSIENT.has(row.status),
          ...extra,
        });
      const addPods = (row: Parameters<typeof add>[0], pods: PodRef[]) => {
        for (const pod of pods) add(row, 'pod', pod.id, { onVanished: 'report', vanishedNote: 'reported only: a pod belongs to its deployment, which is compared on its own' });
      };
      for (const app of apps) {
        if (app.build_id) add(app, 'build', app.build_id, { onVanished: 'repair' });
        if (app.deployment_id) add(app, 'deployment', app.deployment_id, { onVanished: 'repair' });
        addPods(app, app.pods);
      }
      for (const s of services) {
        if (s.deployment_id) add(s, 'deployment', s.deployment_id, { onVanished: 'repair' });
        addPods(s, s.pods);
      }
      for (const m of mediaServers) add(m, 'vm', m.vm_id!, { onVanished: 'repair', transient: TRANSIENT.has(m.status) || m.ms_status === 'INITIALIZING' });
      return out;
    },

    async cloudObjects(kinds = ['vm', 'deployment', 'build', 'pod']) {
      const want = new Set(kinds);
      // Marked deployments and builds come from a label listing; VMs carry the mark in their context.
      const [vms, deployments, builds, pods] = await Promise.all([
        want.has('vm') ? cloudCall(() => cloud.listVms()) : [],
        want.has('deployment') || want.has('pod') ? cloudCall(() => cloud.listDeployments({ label: OWNER_KEY })) : [],
        want.has('build') ? cloudCall(() => cloud.listBuilds({ label: OWNER_KEY })) : [],
        want.has('pod') ? cloudCall(() => cloud.listPods()) : [],
      ]);
      const out: CloudObject[] = [];
      for (const vm of vms) out.push({ kind: 'vm', cloudId: vm.id, name: vm.name, owner: appMark(vm.context), createdAt: vm.createdAt, state: vm.state });
      const ours = new Set<string>();
      for (const d of deployments) {
        const owner = appMark(d.labels);
        if (owner) ours.add(d.id);
        if (want.has('deployment')) out.push({ kind: 'deployment', cloudId: d.id, name: d.name, owner, createdAt: d.createdAt, state: d.state });
      }
      for (const b of builds) out.push({ kind: 'build', cloudId: b.id, name: b.name, owner: appMark(b.labels), createdAt: b.createdAt, state: b.state });
      // Pods of the apps' deployments: compared with the rows, never orphans of their own (they go with their deployment).
      for (const p of pods) if (ours.has(p.deploymentId)) out.push({ kind: 'pod', cloudId: p.id, name: p.name, owner: null, createdAt: p.createdAt, state: p.state });
      return out;
    },

    async isClaimed(object) {
      const appId = object.owner.resourceId;
      const app = await db.selectFrom('apps').select(['status', 'deployment_id', 'build_id']).where('id', '=', appId).executeTakeFirst();
      // Deploying or deleting: what it creates is recorded a moment later, what it deletes is going anyway.
      if (app && TRANSIENT.has(app.status)) return true;
      if (object.kind === 'build') return app?.build_id === object.cloudId;
      if (object.kind === 'deployment') {
        if (app?.deployment_id === object.cloudId) return true;
        const service = await db.selectFrom('app_services').select('id').where('deployment_id', '=', object.cloudId).executeTakeFirst();
        return !!service;
      }
      if (object.kind === 'vm') {
        const host = await db
          .selectFrom('app_media_servers')
          .select('id')
          .where((eb) =>
            eb.or([
              eb('vm_id', '=', object.cloudId),
              // Being added (scale-out of a RUNNING app): the VM exists, the media server has not recorded it yet.
              eb.and([eb('app_id', '=', appId), eb('vm_id', 'is', null), eb('status', '=', 'INITIALIZING')]),
            ]),
          )
          .executeTakeFirst();
        return !!host;
      }
      return false;
    },

    async recordVanished({ kind, cloudId, owner }: VanishedObject) {
      const appId = owner.resourceId;
      const now = new Date();
      return db.transaction().execute(async (tx) => {
        const fail = (reason: string) =>
          tx
            .updateTable('apps')
            .set({ status: 'FAILED', error: reason, ...(kind === 'vm' ? { resource_ok: false } : {}), updated_at: now })
            .where('id', '=', appId)
            .execute();
        const app = await tx.selectFrom('apps').select(['name', 'status', 'deployment_id', 'build_id']).where('id', '=', appId).forUpdate().executeTakeFirst();
        if (!app || TRANSIENT.has(app.status)) return null;
        if (kind === 'build') {
          if (app.build_id !== cloudId) return null;
          await tx.updateTable('apps').set({ build_id: null, updated_at: now }).where('id', '=', appId).execute();
          return `build ${cloudId} of app ${app.name} vanished from the cloud (${FOUND}): forgotten; the app keeps its image and build log`;
        }
        if (kind === 'deployment' && app.deployment_id === cloudId) {
          const reason = `the deployment ${cloudId} of app ${app.name} vanished from the cloud (${FOUND})`;
          await tx.updateTable('apps').set({ deployment_id: null, pods: JSON.stringify([]) }).where('id', '=', appId).execute();
          await fail(reason);
          return `app ${app.name} FAILED: ${reason}`;
        }
        if (kind === 'deployment') {
          const service = await tx
            .updateTable('app_services')
            .set({ deployment_id: null, pods: JSON.stringify([]), status: 'Failed' })
            .where('app_id', '=', appId)
            .where('deployment_id', '=', cloudId)
            .returning('name')
            .executeTakeFirst();
          if (!service) return null;
          const reason = `the deployment ${cloudId} of supporting service ${service.name} vanished from the cloud (${FOUND})`;
          await fail(reason);
          return `app ${app.name} FAILED: ${reason}`;
        }
        if (kind === 'vm') {
          const host = await tx
            .updateTable('app_media_servers')
            .set({ vm_id: null, floating_ip: null, status: 'INACTIVE' })
            .where('app_id', '=', appId)
            .where('vm_id', '=', cloudId)
            .returning('hostname')
            .executeTakeFirst();
          if (!host) return null;
          const reason = `the VM ${cloudId} of media server ${host.hostname} vanished from the cloud (${FOUND})`;
          await fail(reason);
          return `app ${app.name} FAILED: ${reason}`;
        }
        return null;
      });
    },
  };
}
