import { gitRepository } from '../../test/apps/support';
import { keepState, operationInBody, stateOf, untilDone, type BenchClient, type BenchSurface } from './driver';

/**
 * NUBOMEDIA PaaS apps (/api/v1 and /api/v2/nubomedia/paas, an OAuth bearer and `project-id`):
 * deploy a small app (one SMALL media server, room for a second, built from a local git
 * repository), scale its media servers out, stop and start the new one, scale in, delete the app.
 */

const V1 = '/api/v1/nubomedia/paas';
const V2 = '/api/v2/nubomedia/paas';

/** One RUN step, so the build is the clone and one of simcloud's build steps (the bench sets them short). */
const DOCKERFILE = 'FROM nubomedia/apps-baseimage:v1\nCOPY app.jar /opt/app.jar\nRUN echo preparing\nCMD ["java", "-jar", "/opt/app.jar"]\n';

interface BenchApp {
  id: string;
  /** The media server the scale-out added: stopped, started, then scaled in. */
  added?: string;
}

const paas = (client: BenchClient) => ({ authorization: client.paasBearer, 'project-id': 'demo', accept: 'application/json' });
const appOf = (client: BenchClient, i: number) => stateOf<BenchApp>(client, 'apps', i);

/** A media-server change: 202 with the operation's link at once, measured to the operation's end. */
async function mediaServerChange<T>(client: BenchClient, method: string, path: string): Promise<{ operationId: string; result: T }> {
  const operationId = await operationInBody(await client.request(method, path, { headers: paas(client), expected: 202 }));
  return { operationId, result: await untilDone<T>(client, operationId) };
}

export const apps: BenchSurface = {
  surface: 'apps',
  async prepare(client) {
    const repository = await gitRepository({ dockerfile: DOCKERFILE });
    client.prepared.apps = repository.url;
    return repository.remove;
  },
  // A deploy boots a VM, builds and deploys: 8 of them at 1 client and 20 at 10 keep the run to a few minutes.
  counts: { one: 8, many: 20 },
  operations: [
    {
      surface: 'apps',
      operation: 'deploy',
      workflowType: 'deployApp',
      // Plan, INITIALIZING, the media server's record and ACTIVE, INITIALISED, BUILDING, DEPLOYNG,
      // the app's pods, RUNNING; its VM (create, wait), the build (start, wait), the app (create,
      // wait); the autoscaler (scaleOutLimit 2) as an abandoned child.
      shape: { localActivities: 9, activities: 6, childWorkflows: 1 },
      // BUILDING is written only when the build outlasts the media server's boot: both take tens
      // of milliseconds here, so either comes first (at 10 clients the boot waits longer for its
      // workflow tasks).
      shapeVariants: [{ localActivities: 8, activities: 6, childWorkflows: 1 }],
      async run(client, i) {
        // 200 at once (CREATED), as the seed answers; the operation is measured to its end (RUNNING).
        const res = await client.request('POST', `${V1}/app`, {
          headers: { ...paas(client), 'content-type': 'application/json' },
          body: JSON.stringify({
            name: `bench-${client.round}-${i}`,
            gitURL: client.prepared.apps as string,
            flavor: 'SMALL',
            ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }],
            numberOfInstances: 1,
            scaleOutLimit: 2,
          }),
          expected: 200,
        });
        const { app, operation } = (await res.json()) as { app: { id: string }; operation: string };
        keepState(client, 'apps', i, { id: app.id } satisfies BenchApp);
        const operationId = operation.slice(operation.lastIndexOf('/') + 1);
        await untilDone(client, operationId);
        return operationId;
      },
    },
    {
      surface: 'apps',
      operation: 'scale out',
      workflowType: 'scaleOutMediaServers',
      shape: { localActivities: 3, activities: 2 },
      async run(client, i) {
        const app = appOf(client, i);
        const { operationId, result } = await mediaServerChange<{ hostname: string }>(client, 'POST', `${V2}/app/${app.id}/media-server`);
        app.added = result.hostname;
        return operationId;
      },
    },
    {
      surface: 'apps',
      operation: 'stop ms',
      workflowType: 'stopMediaServer',
      shape: { localActivities: 2, activities: 1 },
      async run(client, i) {
        const app = appOf(client, i);
        return (await mediaServerChange(client, 'PUT', `${V2}/app/${app.id}/media-server/${app.added}/stop`)).operationId;
      },
    },
    {
      surface: 'apps',
      operation: 'start ms',
      workflowType: 'startMediaServer',
      shape: { localActivities: 2, activities: 1 },
      async run(client, i) {
        const app = appOf(client, i);
        return (await mediaServerChange(client, 'PUT', `${V2}/app/${app.id}/media-server/${app.added}/start`)).operationId;
      },
    },
    {
      surface: 'apps',
      operation: 'scale in',
      workflowType: 'scaleInMediaServers',
      shape: { localActivities: 3, activities: 1 },
      async run(client, i) {
        const app = appOf(client, i);
        return (await mediaServerChange(client, 'DELETE', `${V2}/app/${app.id}/media-server/${app.added}`)).operationId;
      },
    },
    {
      surface: 'apps',
      operation: 'delete',
      workflowType: 'deleteApp',
      // DELETING, what the app owns, its media server's VM, forget the media server, forget the app;
      // stop the autoscaler, the app's deployment, the VM, the build.
      shape: { localActivities: 5, activities: 4 },
      async run(client, i) {
        return operationInBody(await client.request('DELETE', `${V1}/app/${appOf(client, i).id}`, { headers: paas(client), expected: 200 }));
      },
    },
  ],
};
