import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OperationOn, StartedOperation } from '../../lib/operations';
import { deleteFlavor, installFlavor } from '../../workflows/flavors';
import { FLAVOR_RESOURCE } from '../../workflows/flavors/names';
import { isUniqueViolation } from '../auth/pg-errors';
import type { AppDeps } from '../deps';
import type { Actor } from './access';
import { HttpError } from '../errors';
import { flavorError, flavorNotFound } from './errors';
import { awaitFlavorOperation, opHeaders, startFlavorOperation } from './operations';
import { send } from './representation';
import type { Flags } from './rules';
import { findFlavor, flavorView, type FlavorRow } from './views';

export interface FlavorSpec {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  swap: number;
}

/** Adds a flavor to the catalog (no region yet); a taken name is the blueprint's 409. `db`: a transaction it joins. */
export async function insertFlavor(db: AppDeps['db'], actor: Actor, spec: FlavorSpec, flags: Flags): Promise<FlavorRow> {
  try {
    const row = await db
      .insertInto('flavors')
      .values({ id: randomUUID(), ...spec, ...flags, project_id: actor.projectId, created_by: actor.userId })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, nodes: [] };
  } catch (err) {
    if (isUniqueViolation(err)) throw flavorError(409, `There is already a flavor named ${spec.name}`);
    throw err;
  }
}

const where = (nodes: string[]) => (nodes.length ? nodes.join(', ') : 'no region');

/** The flavor with its nodes, or the blueprint's 404. */
export async function currentFlavor(deps: AppDeps, id: string): Promise<FlavorRow> {
  const flavor = await findFlavor(deps.db, id);
  if (!flavor) throw flavorNotFound(id);
  return flavor;
}

/** A failed fan-out says where the flavor is now, besides what went wrong (and links the operation). */
async function withWhereItIs(deps: AppDeps, flavor: FlavorRow, err: unknown): Promise<unknown> {
  if (!(err instanceof HttpError)) return err;
  const now = await findFlavor(deps.db, flavor.id);
  const state = now ? `Flavor ${flavor.name} (${flavor.id}) is installed in ${where(now.nodes)}` : `Flavor ${flavor.name} (${flavor.id}) is gone`;
  return new HttpError(err.status, err.code, `${state}. ${err.message}`, err.details, err.headers);
}

/** The operation installing a flavor into regions (installFlavor). */
export function installOperation(deps: AppDeps, actor: Actor, flavor: Pick<FlavorRow, 'id' | 'name'>, regions: string[]): OperationOn<typeof installFlavor> {
  return {
    args: [{ flavorId: flavor.id, regions, regionTimeoutMs: deps.config.FLAVORS_REGION_TIMEOUT_MS }],
    resourceType: FLAVOR_RESOURCE,
    resourceId: flavor.id,
    projectId: actor.projectId,
    summary: `Install flavor ${flavor.name} in ${regions.join(', ')}`,
    userId: actor.userId,
  };
}

/** Starts installing a flavor into regions; a 409 when another operation holds the flavor. */
export function startInstall(deps: AppDeps, actor: Actor, flavor: FlavorRow, regions: string[]): Promise<StartedOperation> {
  return startFlavorOperation(deps, { workflow: installFlavor, ...installOperation(deps, actor, flavor, regions) });
}

/**
 * Answers an install like the blueprint's synchronous call: `okStatus` with the flavor once
 * installed, 202 while it still runs, or the failure, naming where the flavor is now.
 */
export async function answerInstall(c: Context, deps: AppDeps, flavor: FlavorRow, started: StartedOperation, okStatus: ContentfulStatusCode): Promise<Response> {
  let done;
  try {
    done = await awaitFlavorOperation(c, deps, started);
  } catch (err) {
    throw await withWhereItIs(deps, flavor, err);
  }
  const view = flavorView(await currentFlavor(deps, flavor.id));
  return send(c, done ? okStatus : 202, { flavor: view }, opHeaders(started.operationId));
}

/** Removes a flavor from every region holding it, then from the catalog: 204, 202 while it runs, or the failure. */
export async function deleteAndAnswer(c: Context, deps: AppDeps, actor: Actor, flavor: FlavorRow): Promise<Response> {
  const started = await startFlavorOperation(deps, {
    workflow: deleteFlavor,
    args: [{ flavorId: flavor.id, regionTimeoutMs: deps.config.FLAVORS_REGION_TIMEOUT_MS }],
    resourceType: FLAVOR_RESOURCE,
    resourceId: flavor.id,
    projectId: actor.projectId,
    summary: `Delete flavor ${flavor.name}` + (flavor.nodes.length ? ` from ${flavor.nodes.join(', ')}` : ''),
    userId: actor.userId,
  });
  let done;
  try {
    done = await awaitFlavorOperation(c, deps, started);
  } catch (err) {
    throw await withWhereItIs(deps, flavor, err);
  }
  if (!done) return send(c, 202, { flavor: flavorView(await findFlavor(deps.db, flavor.id) ?? flavor) }, opHeaders(started.operationId));
  return c.body(null, 204, opHeaders(started.operationId));
}
