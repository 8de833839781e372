import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { installFlavor } from '../../workflows/flavors';
import type { AppDeps, AppEnv } from '../deps';
import { recordAnswered, startRecorded } from '../operations/recorded';
import { requireInfrastructureManager } from './access';
import { answerInstall, currentFlavor, deleteAndAnswer, insertFlavor, installOperation, startInstall } from './catalog-operations';
import { flavorError } from './errors';
import { opHeaders } from './operations';
import { bodyDoc, doc, errorDoc, secured, unauthorizedDoc, writeErrors } from './openapi';
import { readDocument, send } from './representation';
import { nextFlags, PRIVATE, requireRegistered } from './rules';
import { FlavorCreateBody, FlavorDocument, FlavorIdParam, FlavorListQuery, FlavorModifyBody, FlavorsDocument } from './schemas';
import { findFlavors, flavorView, type FlavorRow } from './views';

const regionErrors = {
  409: errorDoc('Name taken, an unknown node, un-publishing/un-promoting, or another operation runs on the flavor'),
  502: errorDoc('A region did not answer within the retry bound; the message says where the flavor is'),
};

/** `/v1/flavors`: the catalog, publish/promote, and install into regions (fan-out workflows). */
export function registerCatalogRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    list: createRoute({
      method: 'get',
      path: '/flavors',
      ...secured(auth),
      summary: 'Catalog flavors, filtered by ?public= and ?promoted=, by name (limit/marker pages)',
      request: { query: FlavorListQuery },
      responses: { 200: doc(FlavorsDocument, 'Flavors'), 400: errorDoc('A bad filter or marker'), 401: unauthorizedDoc },
    }),
    create: createRoute({
      method: 'post',
      path: '/flavors',
      ...secured(auth),
      summary: 'Create a catalog flavor; with nodes, install it in those regions (answers once installed)',
      request: { body: bodyDoc(FlavorCreateBody) },
      responses: {
        201: doc(FlavorDocument, 'Created (and installed in its nodes)'),
        202: doc(FlavorDocument, 'Created; still installing after the wait bound (Operation-Location names the operation)'),
        ...writeErrors,
        ...regionErrors,
      },
    }),
    get: createRoute({
      method: 'get',
      path: '/flavors/{id}',
      ...secured(auth),
      summary: 'One catalog flavor, with the regions it is really installed in',
      request: { params: FlavorIdParam },
      responses: { 200: doc(FlavorDocument, 'The flavor'), 401: unauthorizedDoc, 404: errorDoc('No such flavor') },
    }),
    modify: createRoute({
      method: 'put',
      path: '/flavors/{id}',
      ...secured(auth),
      summary: 'Publish, promote, and/or install in more nodes (answers once installed)',
      request: { params: FlavorIdParam, body: bodyDoc(FlavorModifyBody) },
      responses: {
        200: doc(FlavorDocument, 'Changed (and installed in the new nodes)'),
        202: doc(FlavorDocument, 'Still installing after the wait bound'),
        ...writeErrors,
        404: errorDoc('No such flavor'),
        ...regionErrors,
      },
    }),
    remove: createRoute({
      method: 'delete',
      path: '/flavors/{id}',
      ...secured(auth),
      summary: 'Remove the flavor from every region, then from the catalog',
      request: { params: FlavorIdParam },
      responses: {
        204: { description: 'Deleted everywhere' },
        202: doc(FlavorDocument, 'Still deleting after the wait bound'),
        401: unauthorizedDoc,
        404: errorDoc('No such flavor'),
        405: writeErrors[405],
        409: errorDoc('Another operation runs on the flavor'),
        502: regionErrors[502],
      },
    }),
  };

  app.openapi(routes.list, async (c) => {
    const { marker, ...filter } = c.req.valid('query');
    if (marker !== undefined && !(await findFlavors(deps.db, { id: marker, limit: 1 })).length) {
      throw flavorError(400, `marker: there is no flavor ${marker}`);
    }
    const flavors = await findFlavors(deps.db, { ...filter, marker });
    return send(c, 200, { flavors: flavors.map(flavorView) });
  });

  app.openapi(routes.create, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const { flavor: body } = await readDocument(c, FlavorCreateBody);
    const { nodes = [], public: isPublic, promoted, ...spec } = body;
    const flags = nextFlags(PRIVATE, { public: isPublic, promoted });
    await requireRegistered(deps.db, nodes);
    // The flavor, its install and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
    const created = (flavor: FlavorRow) => send(c, 201, { flavor: flavorView(flavor) });
    if (!nodes.length) return created(await recordAnswered(c, deps, (tx) => insertFlavor(tx, actor, spec, flags), created));
    const { value: flavor, ...started } = await startRecorded(c, deps, {
      records: (tx) => insertFlavor(tx, actor, spec, flags),
      workflow: installFlavor,
      operation: (flavor) => installOperation(deps, actor, flavor, nodes),
      answer: (flavor, operationId) => send(c, 202, { flavor: flavorView(flavor) }, opHeaders(operationId)),
    });
    return answerInstall(c, deps, flavor, started, 201);
  });

  app.openapi(routes.get, async (c) => send(c, 200, { flavor: flavorView(await currentFlavor(deps, c.req.valid('param').id)) }));

  app.openapi(routes.modify, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const flavor = await currentFlavor(deps, c.req.valid('param').id);
    const { flavor: body } = await readDocument(c, FlavorModifyBody);
    const flags = nextFlags(flavor, body);
    const newNodes = (body.nodes ?? []).filter((n) => !flavor.nodes.includes(n));
    await requireRegistered(deps.db, newNodes);
    // Flags only ever turn true: set just those, so a concurrent publish is never undone.
    const publish = async () => {
      const turned = { ...(flags.public && !flavor.public ? { public: true } : {}), ...(flags.promoted && !flavor.promoted ? { promoted: true } : {}) };
      if (Object.keys(turned).length) await deps.db.updateTable('flavors').set({ ...turned, updated_at: new Date() }).where('id', '=', flavor.id).execute();
    };
    if (!newNodes.length) {
      await publish();
      return send(c, 200, { flavor: flavorView(await currentFlavor(deps, flavor.id)) });
    }
    // Publishing waits until the install has started: a 409 (busy flavor) must change nothing.
    const started = await startInstall(deps, actor, flavor, newNodes);
    await publish();
    return answerInstall(c, deps, flavor, started, 200);
  });

  app.openapi(routes.remove, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    return deleteAndAnswer(c, deps, actor, await currentFlavor(deps, c.req.valid('param').id));
  });
}
