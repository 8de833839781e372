import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../deps';
import { HttpError } from '../errors';
import { loadRuntime, projectOf, readSpec, viewOf } from './context';
import { authenticated, err, IdParam, json, RuntimeSchema, runtimeErrors, specBody } from './openapi';
import { awaitRuntimeOperation, opHeaders, requireSteady, startRuntimeOperation } from './operations';
import { supervisorSettings } from './settings';
import { describePlan, diff, isEmpty } from './update-plan';
import { runtimeView } from './views';
import { recoverRuntime, updateRuntime } from '../../workflows/runtimes';

/** PUT /serverless-runtimes/{id}: rename, resize, reschedule; on a runtime in ERROR, recover first. */
export function registerUpdateRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const route = createRoute({
    method: 'put',
    path: '/serverless-runtimes/{id}',
    ...authenticated(auth),
    summary: 'Update (rename, resize, reschedule) or, in ERROR, recover; answers once applied',
    request: { params: IdParam, body: specBody },
    responses: {
      200: json(RuntimeSchema, 'Applied'),
      202: json(RuntimeSchema, 'Still applying after the wait bound (or Prefer: respond-async); Operation-Location names the operation'),
      400: err('Invalid JSON or specification, or a resize beyond the limits'),
      ...runtimeErrors,
    },
  });

  app.openapi(route, async (c) => {
    const projectId = await projectOf(c, deps, 'member');
    const loaded = await loadRuntime(deps, projectId, c.req.valid('param').id); // 404 before the body is looked at
    const { row, functions } = loaded;
    const spec = await readSpec(c);
    const principal = c.get('principal');
    const conflictTitle = `Cannot update Serverless Runtime ${row.id} on a transient state`;
    requireSteady(loaded, conflictTitle);
    const roles = functions.map((f) => f.role);
    const plan = diff(row, functions, spec);

    if (functions.some((f) => f.state === 'ERROR')) {
      // As upstream: a PUT on a runtime in ERROR attempts a recovery, then applies the changes.
      const s = supervisorSettings(deps.config, row.id);
      const recovering = await startRuntimeOperation(
        deps,
        {
          workflow: recoverRuntime,
          args: [{ runtimeId: row.id, supervisor: s, attempts: s.recoveryAttempts, retryDelayMs: s.recoveryDelayMs }],
          resourceId: String(row.id),
          projectId,
          summary: `Recover serverless runtime ${row.id} (project ${projectId}), asked by a PUT`,
          userId: principal.userId,
        },
        conflictTitle,
      );
      const headers = opHeaders(recovering.operationId);
      let recovered;
      try {
        recovered = await awaitRuntimeOperation(c, deps, recovering, `Failed to recover Serverless Runtime ${row.id}`);
      } catch (e) {
        // The recovery failed: the functions stay in ERROR with the reason; show them.
        if (e instanceof HttpError && e.status >= 500) return c.json(await viewOf(deps, projectId, row.id), 200, headers);
        throw e;
      }
      if (!recovered) return c.json(await viewOf(deps, projectId, row.id), 202, headers);
      if (isEmpty(plan)) return c.json(await viewOf(deps, projectId, row.id), 200, headers);
    } else if (isEmpty(plan)) {
      return c.json(runtimeView(row, functions), 200);
    }

    const started = await startRuntimeOperation(
      deps,
      {
        workflow: updateRuntime,
        args: [{ runtimeId: row.id, roles, plan }],
        resourceId: String(row.id),
        projectId,
        summary: `Update serverless runtime ${row.id} (${describePlan(plan)}) in project ${projectId}`,
        userId: principal.userId,
      },
      conflictTitle,
    );
    const done = await awaitRuntimeOperation(c, deps, started, `Failed to update Serverless Runtime ${row.id}`);
    return c.json(await viewOf(deps, projectId, row.id), done ? 200 : 202, opHeaders(started.operationId));
  });
}
