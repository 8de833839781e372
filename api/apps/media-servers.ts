import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { mediaServerLimit, poolStateRefusal, scaleInRefusal, scaleOutRefusal } from '../../db/apps';
import { operationLink } from '../../lib/operations';
import { scaleInMediaServers, scaleOutMediaServers, startMediaServer, stopMediaServer } from '../../workflows/apps';
import type { AppDeps } from '../deps';
import { loadApp, mediaServersOf, type PaasContext, type PaasEnv } from './context';
import { paasError } from './errors';
import { AcceptedSchema, appErrors, AppIdParam, HostParams, json, MediaServerSchema, paasRoute } from './openapi';
import { answered } from '../operations/recorded';
import { opHeaders, startAppOperation } from './operations';
import { mediaServerView, type AppRow, type MediaServerRow } from './views';

/**
 * The v2 media-server endpoints (on both base paths): list, get one, scale out, scale in (a named
 * host or any), and stop/start a host (out of / back into the pool). Each change is an operation
 * on the app (one at a time) and answers 202 with its link.
 */
export function registerMediaServerRoutes(app: OpenAPIHono<PaasEnv>, deps: AppDeps): void {
  const hostsOf = async (row: AppRow) => mediaServersOf(deps, [row.id]);

  const hostNamed = (row: AppRow, hosts: MediaServerRow[], hostname: string) => {
    const host = hosts.find((h) => h.hostname === hostname);
    if (!host) throw paasError(404, `Not found media server ${hostname} of application ${row.name}`);
    return host;
  };

  /** Media-server actions need the app RUNNING (409 otherwise, with upstream's text). */
  const requireRunning = (row: AppRow, what: string) => {
    if (row.status !== 'RUNNING') throw paasError(409, `Application must be in state RUNNING in order to ${what} (it is ${row.status})`);
  };

  const accepted = (c: PaasContext, operationId: string, message: string) =>
    c.json({ code: 202 as const, message, operation: operationLink(operationId) }, 202, opHeaders(operationId));

  const requestedBy = (c: PaasContext) => `requested by ${c.get('principal').username}`;

  const changeRoute = <M extends 'post' | 'put' | 'delete', P extends string, Params extends typeof AppIdParam | typeof HostParams>(
    method: M,
    path: P,
    summary: string,
    params: Params,
  ) =>
    createRoute({
      ...paasRoute(method, path, summary),
      request: { params },
      responses: { 202: json(AcceptedSchema, 'Started; Operation-Location follows it'), ...appErrors(400, 404, 409) },
    });

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app/{id}/media-server', 'The app’s media servers, ACTIVE and INACTIVE'),
      request: { params: AppIdParam },
      responses: { 200: json(z.array(MediaServerSchema), 'The media servers'), ...appErrors(404) },
    }),
    async (c) => {
      const row = await loadApp(c, deps, c.req.valid('param').id);
      return c.json((await hostsOf(row)).map(mediaServerView), 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app/{id}/media-server/{hostname}', 'One media server'),
      request: { params: HostParams },
      responses: { 200: json(MediaServerSchema, 'The media server'), ...appErrors(404) },
    }),
    async (c) => {
      const { id, hostname } = c.req.valid('param');
      const row = await loadApp(c, deps, id);
      return c.json(mediaServerView(hostNamed(row, await hostsOf(row), hostname)), 200);
    },
  );

  app.openapi(changeRoute('post', '/app/{id}/media-server', 'Scale out: add one media server, up to scaleOutLimit (else numberOfInstances)', AppIdParam), async (c) => {
    const row = await loadApp(c, deps, c.req.valid('param').id);
    requireRunning(row, 'scale out new KMSs');
    const limit = mediaServerLimit(row);
    if ((await hostsOf(row)).length >= limit) throw paasError(400, scaleOutRefusal(limit, row.name));
    const reason = requestedBy(c);
    const answer = (operationId: string) => accepted(c, operationId, `Scaling out application ${row.name}: one media server is being added`);
    const { operationId } = await startAppOperation(
      deps,
      row,
      {
        workflow: scaleOutMediaServers,
        args: [{ appId: row.id, reason }],
        summary: `Scale out the media servers of app ${row.name} (${row.id}, project ${row.project_id}): ${reason}`,
        userId: c.get('principal').userId,
      },
      answered(c, answer),
    );
    return answer(operationId);
  });

  const scaleIn = async (c: PaasContext, id: string, hostname?: string) => {
    const row = await loadApp(c, deps, id);
    requireRunning(row, 'scale in a KMS');
    const hosts = await hostsOf(row);
    if (hostname) hostNamed(row, hosts, hostname);
    if (hosts.length <= 1) throw paasError(400, scaleInRefusal(row.name));
    const reason = `${requestedBy(c)}${hostname ? `: remove ${hostname}` : ''}`;
    const { operationId } = await startAppOperation(deps, row, {
      workflow: scaleInMediaServers,
      args: [{ appId: row.id, reason, ...(hostname ? { hostname } : {}) }],
      summary: `Scale in the media servers of app ${row.name} (${row.id}, project ${row.project_id}): ${reason}`,
      userId: c.get('principal').userId,
    });
    return accepted(c, operationId, `Scaling in application ${row.name}: ${hostname ?? 'one media server'} is being removed`);
  };

  app.openapi(changeRoute('delete', '/app/{id}/media-server', 'Scale in: remove one media server (an INACTIVE one, else the newest); one stays', AppIdParam), (c) =>
    scaleIn(c, c.req.valid('param').id),
  );
  app.openapi(changeRoute('delete', '/app/{id}/media-server/{hostname}', 'Scale in: remove this media server; one stays', HostParams), (c) => {
    const { id, hostname } = c.req.valid('param');
    return scaleIn(c, id, hostname);
  });

  for (const active of [false, true]) {
    const verb = active ? 'start' : 'stop';
    app.openapi(
      changeRoute(
        'put',
        `/app/{id}/media-server/{hostname}/${verb}`,
        active ? 'Put an INACTIVE media server back into the pool' : 'Take an ACTIVE media server out of the pool (it keeps what it serves)',
        HostParams,
      ),
      async (c) => {
        const { id, hostname } = c.req.valid('param');
        const row = await loadApp(c, deps, id);
        requireRunning(row, `${verb} KMS`);
        const host = hostNamed(row, await hostsOf(row), hostname);
        if (host.status !== (active ? 'INACTIVE' : 'ACTIVE')) throw paasError(400, poolStateRefusal(hostname, active));
        const { operationId } = await startAppOperation(deps, row, {
          workflow: active ? startMediaServer : stopMediaServer,
          args: [{ appId: row.id, hostname }],
          summary: `${active ? 'Start' : 'Stop'} media server ${hostname} of app ${row.name} (${row.id}, project ${row.project_id})`,
          userId: c.get('principal').userId,
        });
        return accepted(c, operationId, `Media server ${hostname} of application ${row.name} is being ${active ? 'started' : 'stopped'}`);
      },
    );
  }
}
