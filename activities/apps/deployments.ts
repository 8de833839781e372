import { ApplicationFailure } from '@temporalio/common';
import type { CreateDeploymentRequest } from '../../cloud/contract';
import { CONTAINER_SIZE, injectedEnv, type EnvVar, type PodRef, type PortSpec } from '../../db/apps';
import { ownerMark } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import { pollUntil } from '../support/poll';
import type { AppRef, DeploymentRef } from './records';
import { unseal, unsealEnv } from './sealed';

/** Most build-log lines kept with the app once the build ended. */
const ARCHIVED_LOG_LINES = 20_000;

/**
 * A deployment of one part of an app (the app itself or a supporting service): its sized
 * containers spread over hosts, behind `<osName>-svc` in the project's namespace and a route.
 */
function partDeployment(part: {
  clientToken: string;
  osName: string;
  image: string;
  replicas: number;
  ports: PortSpec[];
  env: EnvVar[];
  namespace: string;
  routeHost: string;
  /** The owner mark (lib/inventory.ts): the orphan sweeper tells the app's objects apart by it. */
  labels: Record<string, string>;
}): CreateDeploymentRequest {
  return {
    clientToken: part.clientToken,
    name: part.osName,
    image: part.image,
    replicas: part.replicas,
    ...CONTAINER_SIZE,
    ports: part.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
    env: Object.fromEntries(part.env.map((v) => [v.name, v.value])),
    spreadGroup: part.osName,
    service: { name: `${part.osName}-svc`, namespace: part.namespace, routeHost: part.routeHost },
    labels: part.labels,
  };
}

/** An app's image build and its container deployments (the app's and its supporting services'). */
export function createAppDeploymentActivities({ db, cloud, config }: ActivityDeps) {
  const poll = config.CLOUD_POLL_MS;
  /** Owned by the app (labels of its build and deployments), as its media-server VMs are (context). */
  const ownedBy = (app: { id: string; project_id: string }) =>
    ownerMark(config.WORKFLOW_ID_PREFIX, { resourceType: 'app', resourceId: app.id, projectId: app.project_id });

  async function appRow(appId: string) {
    const row = await db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`Application ${appId} does not exist`, 'NotFound');
    return row;
  }

  /** ssh:// or git's scp-like user@host:path: the URLs a git key is for. */
  const overSsh = (url: string) => url.startsWith('ssh://') || /^[\w.~-]+@[\w.-]+:(?!\/\/)/.test(url);

  /** The project's git key the app names (POST /secret), opened only to hand to the builder: never in history or logs. */
  async function gitKeyOf(projectId: string, name: string): Promise<string> {
    const row = await db.selectFrom('app_secrets').select('private_key_sealed').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`Build failed: the git key ${name} named by secretName no longer exists in project ${projectId}`, 'SecretNotFound');
    return unseal(config, 'gitKey', row.private_key_sealed);
  }

  const servicesOf = (appId: string) => db.selectFrom('app_services').selectAll().where('app_id', '=', appId).orderBy('position').execute();

  /** The whole build log (up to ARCHIVED_LOG_LINES lines, the last ones when longer). */
  async function readWholeBuildLog(buildId: string): Promise<string> {
    const lines: string[] = [];
    for (let offset = 0; ; ) {
      const chunk = await cloudCall(() => cloud.readBuildLog(buildId, { offset, limit: 5000 }));
      lines.push(...chunk.lines);
      if (lines.length > ARCHIVED_LOG_LINES) lines.splice(0, lines.length - ARCHIVED_LOG_LINES);
      if (chunk.done || chunk.lines.length === 0) return lines.join('\n');
      offset = chunk.nextOffset;
    }
  }

  /** Creates (or, for a repeated client token, finds) a deployment and records it on the app or service row. */
  async function deploy(ref: DeploymentRef, req: CreateDeploymentRequest): Promise<string> {
    const deployment = await cloudCall(() => cloud.createDeployment(req));
    if (ref.serviceId) await db.updateTable('app_services').set({ deployment_id: deployment.id }).where('id', '=', ref.serviceId).execute();
    else await db.updateTable('apps').set({ deployment_id: deployment.id }).where('id', '=', ref.appId).execute();
    return deployment.id;
  }

  return {
    /** Starts building the app's image from its git repository (a real clone, then the Dockerfile's steps). */
    async startAppBuild({ appId, clientToken }: AppRef & { clientToken: string }): Promise<string> {
      const app = await appRow(appId);
      const sshPrivateKey = app.secret_name && overSsh(app.git_url) ? await gitKeyOf(app.project_id, app.secret_name) : undefined;
      const build = await cloudCall(() =>
        cloud.createBuild({ clientToken, name: app.os_name, gitUrl: app.git_url, labels: ownedBy(app), ...(sshPrivateKey && { sshPrivateKey }) }),
      );
      await db.updateTable('apps').set({ build_id: build.id, build_log: null, updated_at: new Date() }).where('id', '=', appId).execute();
      return build.id;
    },

    /**
     * Waits for the build to end and keeps its log with the app (the build itself goes when the
     * app does). A failed build fails the deploy with the builder's reason.
     */
    async waitForAppBuild({ appId, buildId }: AppRef & { buildId: string }): Promise<{ image: string }> {
      const build = await pollUntil(
        async () => {
          const b = await cloudCall(() => cloud.getBuild(buildId));
          return b.state === 'queued' || b.state === 'cloning' || b.state === 'building' ? undefined : b;
        },
        poll,
        () => `waiting for build ${buildId}`,
      );
      const log = await readWholeBuildLog(buildId);
      const image = build.state === 'succeeded' ? (build.image?.ref ?? null) : null;
      await db.updateTable('apps').set({ build_log: log, image, updated_at: new Date() }).where('id', '=', appId).execute();
      if (!image) throw ApplicationFailure.nonRetryable(`Build ${build.state}: ${build.error ?? 'no image was produced'}`, 'BuildFailed');
      return { image };
    },

    /** Deletes the app's build and its image; its log stays with the app. */
    async deleteAppBuild({ appId }: AppRef): Promise<void> {
      const app = await db.selectFrom('apps').select('build_id').where('id', '=', appId).executeTakeFirst();
      if (!app?.build_id) return;
      await cloudCall(() => cloud.deleteBuild(app.build_id!));
      await db.updateTable('apps').set({ build_id: null, image: null }).where('id', '=', appId).execute();
    },

    /** A supporting service: its image with its env vars, behind `<osName>-svc` in the project's namespace. */
    async createServiceDeployment({ appId, serviceId, clientToken }: Required<DeploymentRef> & { clientToken: string }): Promise<string> {
      const app = await appRow(appId);
      const service = (await servicesOf(appId)).find((s) => s.id === serviceId);
      if (!service) throw ApplicationFailure.nonRetryable(`Service ${serviceId} of application ${appId} does not exist`, 'NotFound');
      return deploy(
        { appId, serviceId },
        partDeployment({
          clientToken,
          osName: service.os_name,
          image: service.docker_url,
          replicas: service.replicas_number,
          ports: service.ports,
          env: unsealEnv(config, service.env_sealed),
          namespace: app.project_id,
          routeHost: service.route,
          labels: ownedBy(app),
        }),
      );
    },

    /** The app from its built image, with every service's variables injected, behind its route. */
    async createAppDeployment({ appId, clientToken }: AppRef & { clientToken: string }): Promise<string> {
      const app = await appRow(appId);
      if (!app.image) throw ApplicationFailure.nonRetryable(`Application ${appId} has no built image`, 'InvalidState');
      const services = (await servicesOf(appId)).map((s) => ({ name: s.name, osName: s.os_name, envVars: unsealEnv(config, s.env_sealed) }));
      return deploy(
        { appId },
        partDeployment({
          clientToken,
          osName: app.os_name,
          image: app.image,
          replicas: app.replicas_number,
          ports: app.ports,
          env: injectedEnv(services, app.project_id),
          namespace: app.project_id,
          routeHost: app.route,
          labels: ownedBy(app),
        }),
      );
    },

    /** Waits until every pod of the deployment runs; a pod that failed for good fails the wait. */
    async waitForPods(deploymentId: string): Promise<PodRef[]> {
      let progress = '';
      return pollUntil(
        async () => {
          const d = await cloudCall(() => cloud.getDeployment(deploymentId));
          const pods = (await cloudCall(() => cloud.listPods({ deploymentId }))).filter((p) => p.state !== 'deleted');
          const failed = pods.find((p) => p.state === 'failed');
          if (failed) throw ApplicationFailure.nonRetryable(`pod ${failed.name} failed: ${failed.error ?? 'unknown reason'}`, 'DeploymentFailed');
          if (d.state === 'deleted') throw ApplicationFailure.nonRetryable(`deployment ${deploymentId} was deleted`, 'DeploymentFailed');
          const running = pods.filter((p) => p.state === 'running');
          progress = `${running.length}/${d.replicas} pods of ${d.name} running`;
          return running.length >= d.replicas ? running.map((p) => ({ id: p.id, name: p.name })) : undefined;
        },
        poll,
        () => progress || `waiting for deployment ${deploymentId}`,
      );
    },

    /** Deletes the app's (or a service's) deployment, with its pods, service and route; none is fine. */
    async releaseAppDeployment({ appId, serviceId }: DeploymentRef): Promise<void> {
      const row = serviceId
        ? await db.selectFrom('app_services').select('deployment_id').where('id', '=', serviceId).executeTakeFirst()
        : await db.selectFrom('apps').select('deployment_id').where('id', '=', appId).executeTakeFirst();
      if (row?.deployment_id) await cloudCall(() => cloud.deleteDeployment(row.deployment_id!));
      const cleared = { deployment_id: null, pods: JSON.stringify([]) };
      if (serviceId) await db.updateTable('app_services').set({ ...cleared, status: 'Failed' }).where('id', '=', serviceId).execute();
      else await db.updateTable('apps').set(cleared).where('id', '=', appId).execute();
    },
  };
}
