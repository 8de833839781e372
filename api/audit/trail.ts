import type { MiddlewareHandler } from 'hono';
import type { Principal } from '../auth/principal';
import type { AppDeps, AppEnv } from '../deps';
import { routeTemplate } from '../metrics';
import { currentRequestScope } from '../request-context';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Appends one audit entry per mutation, on every surface, after the surface answered: who (the
 * principal its auth middleware set), which project (the operation's, else the first project whose
 * access was checked, else the token's project), what (method, route template, path, resource),
 * when, the request id, the operation it started or cancelled, and the status. Never a body, a
 * header or a query string, so no credential can land in it. Requests that matched no route changed
 * nothing and are not recorded. A failed write is logged and never turns the answer into an error:
 * the mutation already happened.
 */
export function auditTrail(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!MUTATIONS.has(c.req.method)) return next();
    const started = performance.now();
    await next();
    const route = routeTemplate(c);
    if (!route) return;
    const scope = currentRequestScope();
    const principal = c.get('principal') as Principal | undefined;
    const path = new URL(c.req.url).pathname;
    try {
      const runIds = [...(scope?.startedRunIds ?? []), ...(scope?.cancelledRunIds ?? [])];
      const operation = runIds.length
        ? await deps.db
            .selectFrom('operations')
            .select(['id', 'project_id', 'resource_id', 'run_id'])
            .where('run_id', 'in', runIds)
            .execute()
            .then((rows) => runIds.map((id) => rows.find((r) => r.run_id === id)).find((r) => r !== undefined))
        : undefined;
      await deps.db
        .insertInto('audit_log')
        .values({
          request_id: c.get('requestId'),
          user_id: principal?.userId ?? null,
          username: principal?.username ?? null,
          token_id: principal?.tokenId ?? null,
          project_id: operation?.project_id ?? scope?.projectId ?? principal?.tokenProjectId ?? null,
          method: c.req.method,
          route,
          path: path.slice(0, 2000),
          resource: operation?.resource_id ?? path.slice(0, 2000),
          operation_id: operation?.id ?? null,
          status: c.res.status,
          duration_ms: Math.round(performance.now() - started),
        })
        .execute();
    } catch (err) {
      c.get('logger')?.error({ err, method: c.req.method, route }, 'could not append to the audit log');
    }
  };
}
