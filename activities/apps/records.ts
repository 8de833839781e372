import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  mediaServerHostname,
  mediaServerLimit,
  poolStateRefusal,
  scaleInRefusal,
  scaleOutRefusal,
  type AppStatus,
  type MediaServerStatus,
  type PodRef,
} from '../../db/apps';
import type { ActivityDeps } from '../deps';
import { awaitRecorded } from '../support/records';

export interface AppRef {
  appId: string;
}
export interface MediaServerRef extends AppRef {
  hostname: string;
}

/** The app's own deployment, or one of its supporting services' when serviceId is given. */
export interface DeploymentRef extends AppRef {
  serviceId?: string;
}

const notRunning = (what: string) => `Application must be in state RUNNING in order to ${what}`;

/** The apps domain's writes to its own tables: run as local activities (no server round trip). */
export function createAppRecordActivities(deps: ActivityDeps) {
  const { db } = deps;
  async function appRow(appId: string) {
    const row = await db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`Application ${appId} does not exist`, 'NotFound');
    return row;
  }

  const mediaServers = (appId: string) =>
    db.selectFrom('app_media_servers').selectAll().where('app_id', '=', appId).orderBy('created_at').orderBy('hostname').execute();

  return {
    /** What deployApp lays out as steps: the media servers to start and the services to deploy, in order. */
    async appDeployPlan({ appId }: AppRef): Promise<{ numberOfInstances: number; services: Array<{ id: string; name: string }> }> {
      // The first step of a create: its rows may commit a moment after the run starts (support/records.ts).
      const app = await awaitRecorded(deps, () => db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst(), `Application ${appId}`);
      const services = await db.selectFrom('app_services').select(['id', 'name']).where('app_id', '=', appId).orderBy('position').execute();
      return { numberOfInstances: app.number_of_instances, services };
    },

    async setAppStatus({ appId, status, error, resourceOk }: AppRef & { status: AppStatus; error?: string; resourceOk?: boolean }): Promise<void> {
      await db
        .updateTable('apps')
        .set({ status, error: status === 'FAILED' ? (error ?? 'failed') : null, ...(resourceOk !== undefined ? { resource_ok: resourceOk } : {}), updated_at: new Date() })
        .where('id', '=', appId)
        .execute();
    },

    /** Allocates the next hostname and records the media server (INITIALIZING); a repeat of the same step returns it. */
    async addMediaServer({ appId, clientToken }: AppRef & { clientToken: string }): Promise<{ hostname: string }> {
      return db.transaction().execute(async (tx) => {
        const existing = await tx.selectFrom('app_media_servers').select('hostname').where('client_token', '=', clientToken).executeTakeFirst();
        if (existing) return existing;
        const app = await tx
          .updateTable('apps')
          .set((eb) => ({ media_server_seq: eb('media_server_seq', '+', 1) }))
          .where('id', '=', appId)
          .returning(['os_name', 'media_server_seq'])
          .executeTakeFirst();
        if (!app) throw ApplicationFailure.nonRetryable(`Application ${appId} does not exist`, 'NotFound');
        const hostname = mediaServerHostname(app.os_name, app.media_server_seq);
        await tx
          .insertInto('app_media_servers')
          .values({ id: randomUUID(), app_id: appId, hostname, client_token: clientToken, vm_id: null, floating_ip: null, status: 'INITIALIZING' })
          .execute();
        return { hostname };
      });
    },

    async markMediaServer({ appId, hostname, status, floatingIp }: MediaServerRef & { status: MediaServerStatus; floatingIp?: string }): Promise<void> {
      await db
        .updateTable('app_media_servers')
        .set({ status, ...(floatingIp !== undefined ? { floating_ip: floatingIp } : {}) })
        .where('app_id', '=', appId)
        .where('hostname', '=', hostname)
        .execute();
    },

    async mediaServerVmId({ appId, hostname }: MediaServerRef): Promise<string | null> {
      const row = await db
        .selectFrom('app_media_servers')
        .select('vm_id')
        .where('app_id', '=', appId)
        .where('hostname', '=', hostname)
        .executeTakeFirst();
      return row?.vm_id ?? null;
    },

    async forgetMediaServer({ appId, hostname }: MediaServerRef): Promise<void> {
      await db.deleteFrom('app_media_servers').where('app_id', '=', appId).where('hostname', '=', hostname).execute();
    },

    /**
     * The limits of a scaling step, checked again inside the operation (the autoscaler and the API
     * both decided on what they read earlier). Scaling in picks the media server to remove: the
     * named one, else an INACTIVE one (it serves nothing new), else the newest.
     */
    async checkScaling({ appId, direction, hostname }: AppRef & { direction: 'out' | 'in'; hostname?: string }): Promise<{ hostname: string }> {
      const app = await appRow(appId);
      const hosts = await mediaServers(appId);
      if (app.status !== 'RUNNING') {
        throw ApplicationFailure.nonRetryable(notRunning(direction === 'out' ? 'scale out new KMSs' : 'scale in a KMS'), 'InvalidState');
      }
      if (direction === 'out') {
        const limit = mediaServerLimit(app);
        if (hosts.length >= limit) throw ApplicationFailure.nonRetryable(scaleOutRefusal(limit, app.name), 'ScalingNotPermitted');
        return { hostname: '' };
      }
      if (hosts.length <= 1) throw ApplicationFailure.nonRetryable(scaleInRefusal(app.name), 'ScalingNotPermitted');
      const chosen = hostname
        ? hosts.find((h) => h.hostname === hostname)
        : (hosts.find((h) => h.status === 'INACTIVE') ?? hosts[hosts.length - 1]);
      if (!chosen) throw ApplicationFailure.nonRetryable(`Not found media server ${hostname} to scale-in`, 'NotFound');
      return { hostname: chosen.hostname };
    },

    /** A media server may leave the pool only when ACTIVE, and come back only when INACTIVE; answers its VM. */
    async checkPoolChange({ appId, hostname, active }: MediaServerRef & { active: boolean }): Promise<string> {
      const app = await appRow(appId);
      if (app.status !== 'RUNNING') throw ApplicationFailure.nonRetryable(notRunning(`${active ? 'start' : 'stop'} KMS`), 'InvalidState');
      const host = (await mediaServers(appId)).find((h) => h.hostname === hostname);
      if (!host || !host.vm_id) throw ApplicationFailure.nonRetryable(`Not found media server ${hostname}`, 'NotFound');
      const required: MediaServerStatus = active ? 'INACTIVE' : 'ACTIVE';
      if (host.status !== required) throw ApplicationFailure.nonRetryable(poolStateRefusal(hostname, active), 'InvalidState');
      return host.vm_id;
    },

    /** The pods a deployment runs now: the app's, or a supporting service's (which then reads Running). */
    async setDeploymentPods({ appId, serviceId, pods }: DeploymentRef & { pods: PodRef[] }): Promise<void> {
      if (serviceId) {
        await db
          .updateTable('app_services')
          .set({ pods: JSON.stringify(pods), status: 'Running' })
          .where('id', '=', serviceId)
          .where('app_id', '=', appId)
          .execute();
      } else {
        await db.updateTable('apps').set({ pods: JSON.stringify(pods), updated_at: new Date() }).where('id', '=', appId).execute();
      }
    },

    /** What deleteApp releases besides the app's own deployment and build. */
    async appCloudResources({ appId }: AppRef): Promise<{ serviceIds: string[]; hostnames: string[] }> {
      const services = await db.selectFrom('app_services').select('id').where('app_id', '=', appId).orderBy('position').execute();
      const hosts = await mediaServers(appId);
      return { serviceIds: services.map((s) => s.id), hostnames: hosts.map((h) => h.hostname) };
    },

    /** The app and its services, media servers (already released) go; the operations stay in history. */
    async forgetApp({ appId }: AppRef): Promise<void> {
      await db.deleteFrom('apps').where('id', '=', appId).execute();
    },
  };
}
