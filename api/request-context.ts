import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from './deps';

/**
 * What the platform learns about a request while it runs, whatever surface answers it: the project
 * it acts on (noted by api/auth/access.ts when a project is checked) and the workflow runs it starts
 * or cancels (noted by the API's Temporal client, see api/audit/temporal.ts). The audit trail reads
 * it after the surface answered, so no surface has to report anything itself.
 */
export interface RequestScope {
  requestId: string;
  /** The first project whose access was checked for this request. */
  projectId?: string;
  /** Run IDs of workflows started (operations: run ID = operation ID) during the request. */
  startedRunIds: string[];
  /** Workflow runs cancelled during the request. */
  cancelledRunIds: string[];
}

const requestScopes = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being served, or undefined outside a request (workers, scripts). */
export function currentRequestScope(): RequestScope | undefined {
  return requestScopes.getStore();
}

/** Notes the project a request acts on (the first one checked wins). */
export function noteRequestProject(projectId: string): void {
  const scope = requestScopes.getStore();
  if (scope && scope.projectId === undefined) scope.projectId = projectId;
}

/** Gives each request an id, a child logger and a request scope, and logs one line per request (never bodies or credentials). */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || randomUUID();
    const logger = deps.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('logger', logger);
    const started = performance.now();
    await requestScopes.run({ requestId, startedRunIds: [], cancelledRunIds: [] }, next);
    c.header('x-request-id', requestId);
    const path = new URL(c.req.url).pathname;
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') return;
    logger.info(
      { method: c.req.method, path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  };
}
