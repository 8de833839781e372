import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RegionFlavor } from '../../cloud/contract';
import { createRegionFlavor, deleteRegionFlavor } from '../../workflows/flavors';
import { FLAVOR_RESOURCE, REGION_FLAVOR_RESOURCE, regionFlavorResourceId } from '../../workflows/flavors/names';
import type { AppDeps, AppEnv } from '../deps';
import { requireInfrastructureManager } from './access';
import { bodyDoc, doc, errorDoc, secured, unauthorizedDoc, writeErrors } from './openapi';
import { awaitFlavorOperation, opHeaders, startFlavorOperation } from './operations';
import { answered } from '../operations/recorded';
import { readRegion, regionCatalog, registeredRegion } from './region-access';
import { readDocument, send } from './representation';
import { FlavorDocument, FlavorsDocument, FlavorSpecBody, RegionFlavorParams, RegionParam, RegionsDocument } from './schemas';
import { regionFlavorView } from './views';

const regionErrors = {
  403: errorDoc('The region refused the stored credentials'),
  404: errorDoc('No such region (or flavor in it)'),
  502: errorDoc('The region is not reachable'),
};

/**
 * `/v1/regions` and each region's own flavor catalog: `/v1/regions/{region}/flavors` and (the
 * blueprint's singular) `/v1/region/{region}/flavors/{id}`. Reads go to the region live; creates
 * and deletes are operations.
 */
export function registerRegionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    regions: createRoute({
      method: 'get',
      path: '/regions',
      ...secured(auth),
      summary: 'The registered infrastructures (regions)',
      responses: { 200: doc(RegionsDocument, 'Regions'), 401: unauthorizedDoc },
    }),
    list: createRoute({
      method: 'get',
      path: '/regions/{region}/flavors',
      ...secured(auth),
      summary: 'The flavors of one region’s own catalog',
      request: { params: RegionParam },
      responses: { 200: doc(FlavorsDocument, 'The region’s flavors'), 401: unauthorizedDoc, ...regionErrors },
    }),
    create: createRoute({
      method: 'post',
      path: '/regions/{region}/flavors',
      ...secured(auth),
      summary: 'Create a flavor in one region’s own catalog (answers once created)',
      request: { params: RegionParam, body: bodyDoc(FlavorSpecBody) },
      responses: {
        201: doc(FlavorDocument, 'Created in the region'),
        202: doc(FlavorDocument, 'Still creating after the wait bound'),
        ...writeErrors,
        ...regionErrors,
        409: errorDoc('The region already has a flavor with that name'),
      },
    }),
    get: createRoute({
      method: 'get',
      path: '/region/{region}/flavors/{id}',
      ...secured(auth),
      summary: 'One flavor of a region’s own catalog',
      request: { params: RegionFlavorParams },
      responses: { 200: doc(FlavorDocument, 'The flavor'), 401: unauthorizedDoc, ...regionErrors },
    }),
    remove: createRoute({
      method: 'delete',
      path: '/region/{region}/flavors/{id}',
      ...secured(auth),
      summary: 'Delete a flavor from a region; a catalog flavor installed there stops counting that region as a node',
      request: { params: RegionFlavorParams },
      responses: {
        204: { description: 'Deleted' },
        202: doc(FlavorDocument, 'Still deleting after the wait bound'),
        401: unauthorizedDoc,
        405: writeErrors[405],
        409: errorDoc('Another operation runs on that flavor'),
        ...regionErrors,
      },
    }),
  };

  const regionFlavor = async (region: string, id: string): Promise<RegionFlavor> => {
    const catalog = await regionCatalog(deps, region);
    return readRegion(region, () => catalog.getFlavor(id), `The flavor ${id} does not exist in region ${region}`);
  };

  app.openapi(routes.regions, async (c) => {
    const rows = await deps.db.selectFrom('flavor_infrastructures').select('name').orderBy('name').execute();
    return send(c, 200, { Infrastructures: rows.map((r) => ({ id: r.name, name: r.name })) });
  });

  app.openapi(routes.list, async (c) => {
    const { region } = c.req.valid('param');
    const catalog = await regionCatalog(deps, region);
    const flavors = await readRegion(region, () => catalog.listFlavors());
    return send(c, 200, { flavors: flavors.map(regionFlavorView) });
  });

  app.openapi(routes.create, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const { region } = c.req.valid('param');
    await registeredRegion(deps, region);
    const { flavor: spec } = await readDocument(c, FlavorSpecBody);
    const flavor = { id: randomUUID(), ...spec };
    const pending = { ...flavor, public: false, region, createdAt: new Date().toISOString() };
    const started = await startFlavorOperation(
      deps,
      {
        workflow: createRegionFlavor,
        args: [{ region, flavor, regionTimeoutMs: deps.config.FLAVORS_REGION_TIMEOUT_MS }],
        resourceType: REGION_FLAVOR_RESOURCE,
        resourceId: regionFlavorResourceId(region, flavor.id),
        projectId: actor.projectId,
        summary: `Create flavor ${flavor.name} in region ${region}`,
        userId: actor.userId,
      },
      // What a retry gets should this request die once the operation is recorded.
      answered(c, (operationId) => send(c, 202, { flavor: regionFlavorView(pending) }, opHeaders(operationId))),
    );
    const done = await awaitFlavorOperation<RegionFlavor>(c, deps, started);
    const created = done?.result ?? pending;
    return send(c, done ? 201 : 202, { flavor: regionFlavorView(created) }, opHeaders(started.operationId));
  });

  app.openapi(routes.get, async (c) => {
    const { region, id } = c.req.valid('param');
    return send(c, 200, { flavor: regionFlavorView(await regionFlavor(region, id)) });
  });

  app.openapi(routes.remove, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const { region, id } = c.req.valid('param');
    const existing = await regionFlavor(region, id);
    // A catalog flavor installed here is a mutation of that flavor: it runs as flavor/<id>, one at a time with its installs.
    const inCatalog = !!(await deps.db
      .selectFrom('flavor_nodes')
      .select('flavor_id')
      .where('flavor_id', '=', id)
      .where('infrastructure_name', '=', region)
      .executeTakeFirst());
    const started = await startFlavorOperation(deps, {
      workflow: deleteRegionFlavor,
      args: [{ region, flavorId: id, inCatalog, regionTimeoutMs: deps.config.FLAVORS_REGION_TIMEOUT_MS }],
      resourceType: inCatalog ? FLAVOR_RESOURCE : REGION_FLAVOR_RESOURCE,
      resourceId: inCatalog ? id : regionFlavorResourceId(region, id),
      projectId: actor.projectId,
      summary: `Delete flavor ${existing.name} from region ${region}`,
      userId: actor.userId,
    });
    const done = await awaitFlavorOperation(c, deps, started);
    if (!done) return send(c, 202, { flavor: regionFlavorView(existing) }, opHeaders(started.operationId));
    return c.body(null, 204, opHeaders(started.operationId));
  });
}
