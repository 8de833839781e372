import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../deps';
import { recordAnswered } from '../operations/recorded';
import { requireInfrastructureManager } from './access';
import { currentFlavor, deleteAndAnswer, insertFlavor } from './catalog-operations';
import { flavorError } from './errors';
import { bodyDoc, doc, errorDoc, secured, unauthorizedDoc, writeErrors } from './openapi';
import { readDocument, send } from './representation';
import { FlavorDocument, FlavorIdParam, FlavorsDocument, FlavorSpecBody } from './schemas';
import { findFlavors, flavorView, type FlavorRow } from './views';

/** `/v1/promotedflavors`: the recommended flavors every region should have (public and promoted). */
export function registerPromotedRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    list: createRoute({
      method: 'get',
      path: '/promotedflavors',
      ...secured(auth),
      summary: 'Promoted flavors (public and promoted)',
      responses: { 200: doc(FlavorsDocument, 'Promoted flavors'), 401: unauthorizedDoc },
    }),
    create: createRoute({
      method: 'post',
      path: '/promotedflavors',
      ...secured(auth),
      summary: 'Create a promoted flavor (public and promoted, in no region yet)',
      request: { body: bodyDoc(FlavorSpecBody) },
      responses: { 201: doc(FlavorDocument, 'Created'), ...writeErrors, 409: errorDoc('The name is taken') },
    }),
    get: createRoute({
      method: 'get',
      path: '/promotedflavors/{id}',
      ...secured(auth),
      summary: 'One promoted flavor',
      request: { params: FlavorIdParam },
      responses: { 200: doc(FlavorDocument, 'The flavor'), 401: unauthorizedDoc, 404: errorDoc('No such flavor, or it is not promoted') },
    }),
    remove: createRoute({
      method: 'delete',
      path: '/promotedflavors/{id}',
      ...secured(auth),
      summary: 'Delete a promoted flavor that no region holds',
      request: { params: FlavorIdParam },
      responses: {
        204: { description: 'Deleted' },
        401: unauthorizedDoc,
        404: errorDoc('No such flavor'),
        405: errorDoc('The flavor is not promoted or still has nodes (or the caller is not an InfrastructureManager: text/plain)'),
        409: errorDoc('Another operation runs on the flavor'),
      },
    }),
  };

  async function promotedFlavor(id: string) {
    const flavor = await currentFlavor(deps, id);
    if (!flavor.promoted) throw flavorError(404, `The flavor ${id} is not promoted`);
    return flavor;
  }

  app.openapi(routes.list, async (c) => send(c, 200, { flavors: (await findFlavors(deps.db, { public: true, promoted: true })).map(flavorView) }));

  app.openapi(routes.create, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const { flavor: spec } = await readDocument(c, FlavorSpecBody);
    const created = (flavor: FlavorRow) => send(c, 201, { flavor: flavorView(flavor) });
    // The flavor and the answer a retry gets, in one transaction (api/operations/recorded.ts).
    return created(await recordAnswered(c, deps, (tx) => insertFlavor(tx, actor, spec, { public: true, promoted: true }), created));
  });

  app.openapi(routes.get, async (c) => send(c, 200, { flavor: flavorView(await promotedFlavor(c.req.valid('param').id)) }));

  app.openapi(routes.remove, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const flavor = await currentFlavor(deps, c.req.valid('param').id);
    if (!flavor.promoted) throw flavorError(405, `The flavor ${flavor.id} is not promoted: delete it with DELETE /v1/flavors/${flavor.id}`);
    if (flavor.nodes.length) throw flavorError(405, `The promoted flavor ${flavor.name} still has nodes (${flavor.nodes.join(', ')}): it cannot be deleted here`);
    return deleteAndAnswer(c, deps, actor, flavor);
  });
}
