import { autoscalerWorkflowId, DEFAULT_SCALE_OUT_THRESHOLD, mediaServerLimit } from '../../db/apps';
import { scaleInMediaServers, scaleOutMediaServers } from '../../workflows/apps/media-servers';
import type { AppLoad } from '../../workflows/apps/autoscale-policy';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import { cancelIfRunning, startUnlessBusy } from '../support/watchers';
import type { AppRef } from './records';

/** The autoscaler's side effects: reading the media servers' load, starting scaling operations, being stopped. */
export function createAppAutoscalingActivities(deps: ActivityDeps) {
  const { db, cloud, config } = deps;
  return {
    /** The app's limits and the average consumed capacity of its ACTIVE media servers (simcloud's `capacity` metric). */
    async readAppLoad({ appId }: AppRef): Promise<AppLoad> {
      const app = await db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
      if (!app || app.status === 'DELETING') return { gone: true, status: app?.status ?? 'DELETED', hosts: 0, activeHosts: 0, average: null, limit: 0, threshold: 0 };
      const hosts = await db.selectFrom('app_media_servers').select(['vm_id', 'status']).where('app_id', '=', appId).execute();
      const active = hosts.flatMap((h) => (h.status === 'ACTIVE' && h.vm_id ? [h.vm_id] : []));
      const metrics = active.length ? await cloudCall(() => cloud.getMetrics(active)) : {};
      const loads = active.map((vmId) => metrics[vmId]?.capacity ?? 0);
      return {
        gone: false,
        status: app.status,
        hosts: hosts.length,
        activeHosts: active.length,
        average: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : null,
        limit: mediaServerLimit(app),
        threshold: app.scale_out_threshold > 0 ? app.scale_out_threshold : DEFAULT_SCALE_OUT_THRESHOLD,
      };
    },

    /** Starts a scaling operation like any client would; 'busy' while another operation holds the app. */
    async startAppScaling({ appId, direction, reason }: AppRef & { direction: 'out' | 'in'; reason: string }): Promise<'started' | 'busy'> {
      const app = await db.selectFrom('apps').select(['name', 'project_id']).where('id', '=', appId).executeTakeFirstOrThrow();
      const common = { resourceType: 'app', resourceId: appId, projectId: app.project_id, userId: null };
      const summary = `Scale ${direction} the media servers of app ${app.name} (${appId}, project ${app.project_id}): ${reason}`;
      return direction === 'out'
        ? startUnlessBusy(deps, { ...common, workflow: scaleOutMediaServers, args: [{ appId, reason }], summary })
        : startUnlessBusy(deps, { ...common, workflow: scaleInMediaServers, args: [{ appId, reason }], summary });
    },

    /** Cancels the app's autoscaler (deleteApp, or a failed deploy); one that already ended is fine. */
    async stopAppAutoscaler({ appId }: AppRef): Promise<void> {
      await cancelIfRunning(deps.temporal, autoscalerWorkflowId(config.WORKFLOW_ID_PREFIX, appId));
    },
  };
}
