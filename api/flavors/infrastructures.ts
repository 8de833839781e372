import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { CloudError, type RegionEndpoint } from '../../cloud/contract';
import { sealRegionCredentials } from '../../db/flavors';
import { isForeignKeyViolation, isUniqueViolation } from '../auth/pg-errors';
import type { AppDeps, AppEnv } from '../deps';
import { recordAnswered } from '../operations/recorded';
import { requireInfrastructureManager } from './access';
import { flavorError } from './errors';
import { bodyDoc, doc, errorDoc, secured, unauthorizedDoc, writeErrors } from './openapi';
import { readDocument, send } from './representation';
import { InfrastructureBody, InfrastructureDocument, InfrastructureParam } from './schemas';

/** Bound on checking a new infrastructure's credentials: an address that never answers is a 502, not a hung request. */
const VERIFY_TIMEOUT_MS = 15_000;

const alreadyExists = (name: string) => flavorError(409, `The infrastructure ${name} already exists`);

/**
 * Checks the credentials against the region itself: refused → 400 saying so, no such region at
 * that URL → 400, no answer → 502. Nothing of the credentials goes into a message.
 */
async function verifyCredentials(deps: AppDeps, endpoint: RegionEndpoint): Promise<void> {
  const where = `region ${endpoint.region} at ${endpoint.url}`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CloudError('unavailable', `no answer within ${VERIFY_TIMEOUT_MS / 1000} s`)), VERIFY_TIMEOUT_MS);
  });
  try {
    await Promise.race([deps.cloud.regionCatalog(endpoint).verifyCredentials(), timeout]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof CloudError)) throw flavorError(502, `The ${where} is not reachable: ${message}`);
    if (err.code === 'unauthorized') throw flavorError(400, `The ${where} rejected the credentials (username or password wrong): ${message}`);
    if (err.code === 'not_found') throw flavorError(400, `There is no ${where}: ${message}`);
    if (err.code === 'invalid') throw flavorError(400, `The ${where} refused the request: ${message}`);
    throw flavorError(502, `The ${where} is not reachable: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** `/v1/infrastructures`: register a region (credentials checked there, then stored sealed) or unregister it. */
export function registerInfrastructureRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    create: createRoute({
      method: 'post',
      path: '/infrastructures',
      ...secured(auth),
      summary: 'Register an infrastructure: name = the region, keystone_url = the cloud; the credentials are checked against the region and stored encrypted',
      request: { body: bodyDoc(InfrastructureBody) },
      responses: {
        201: doc(InfrastructureDocument, 'Registered (its credentials are never returned)'),
        ...writeErrors,
        400: errorDoc('Invalid body, or the region rejected the credentials or does not exist there'),
        409: errorDoc('Already registered'),
        502: errorDoc('The cloud did not answer'),
      },
    }),
    remove: createRoute({
      method: 'delete',
      path: '/infrastructures/{name}',
      ...secured(auth),
      summary: 'Unregister an infrastructure no flavor is installed in',
      request: { params: InfrastructureParam },
      responses: {
        204: { description: 'Unregistered' },
        401: unauthorizedDoc,
        404: errorDoc('No such infrastructure'),
        405: writeErrors[405],
        409: errorDoc('Flavors are still installed there'),
      },
    }),
  };

  app.openapi(routes.create, async (c) => {
    const actor = await requireInfrastructureManager(deps, c.get('principal'));
    const { infrastructure: body } = await readDocument(c, InfrastructureBody);
    const taken = await deps.db.selectFrom('flavor_infrastructures').select('name').where('name', '=', body.name).executeTakeFirst();
    if (taken) throw alreadyExists(body.name);
    await verifyCredentials(deps, { url: body.keystone_url, region: body.name, username: body.username, password: body.password });
    const registered = () => send(c, 201, { infrastructure: { name: body.name } });
    try {
      // The row and the answer a retry gets, in one transaction (api/operations/recorded.ts).
      await recordAnswered(
        c,
        deps,
        (tx) =>
          tx
            .insertInto('flavor_infrastructures')
            .values({
              name: body.name,
              keystone_url: body.keystone_url,
              tenant: body.tenant,
              credentials_sealed: sealRegionCredentials(deps.config, body),
              created_by: actor.userId,
            })
            .execute(),
        registered,
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(body.name);
      throw err;
    }
    return registered();
  });

  app.openapi(routes.remove, async (c) => {
    await requireInfrastructureManager(deps, c.get('principal'));
    const { name } = c.req.valid('param');
    const registered = await deps.db.selectFrom('flavor_infrastructures').select('name').where('name', '=', name).executeTakeFirst();
    if (!registered) throw flavorError(404, `The infrastructure ${name} does not exist`);
    const inUse = await deps.db
      .selectFrom('flavor_nodes as n')
      .innerJoin('flavors as f', 'f.id', 'n.flavor_id')
      .select('f.name')
      .where('n.infrastructure_name', '=', name)
      .orderBy('f.name')
      .execute();
    if (inUse.length) {
      throw flavorError(409, `The infrastructure ${name} is still being used: flavors ${inUse.map((f) => f.name).join(', ')} are installed there`);
    }
    try {
      await deps.db.deleteFrom('flavor_infrastructures').where('name', '=', name).execute();
    } catch (err) {
      if (isForeignKeyViolation(err)) throw flavorError(409, `The infrastructure ${name} is still being used: a flavor was just installed there`);
      throw err;
    }
    return c.body(null, 204);
  });
}
