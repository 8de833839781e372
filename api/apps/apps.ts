import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { operationLink, type StartedOperation } from '../../lib/operations';
import { deleteApp } from '../../workflows/apps';
import { awaitOperation } from '../operations/await';
import { operationFailure } from '../operations/outcome';
import type { AppDeps } from '../deps';
import { loadApp, viewOf, viewsOf, type PaasContext, type PaasEnv } from './context';
import { jsonDocumented, paasError, readJsonBody } from './errors';
import { appErrors, AppIdParam, AppSchema, json, paasRoute } from './openapi';
import { opHeaders, startAppDeletion } from './operations';
import { MultipleDeleteBody } from './schemas';
import type { AppRow } from './views';

const DeleteAnswer = z.object({ id: z.string(), name: z.string(), suffix: z.string(), nameSpace: z.string(), code: z.number(), operation: z.string().optional(), message: z.string().optional() });

const DeleteAllAnswer = z.object({ projectId: z.string(), message: z.string(), code: z.number(), responses: z.array(DeleteAnswer) });
type DeleteAnswerBody = z.infer<typeof DeleteAnswer> & { operation: string };

interface Deletion {
  app: AppRow;
  started: StartedOperation;
}

/** Apps of the caller's project: list, get, delete one, delete all, delete several (POST /multipledelete). */
export function registerAppRoutes(app: OpenAPIHono<PaasEnv>, deps: AppDeps): void {
  const startDeletion = async (c: PaasContext, row: AppRow): Promise<Deletion> => ({
    app: row,
    started: await startAppDeletion(deps, row, {
      workflow: deleteApp,
      args: [{ appId: row.id }],
      summary: `Delete app ${row.name} (${row.id}) in project ${row.project_id}`,
      userId: c.get('principal').userId,
    }),
  });

  /**
   * Waits (up to SYNC_WAIT_MS, none with `Prefer: respond-async`) for the deletions; each answers
   * upstream's `{id, name, suffix, nameSpace, code}`: 200 done, 202 still deleting, else the failure.
   */
  async function settle(c: PaasContext, deletions: Deletion[]): Promise<DeleteAnswerBody[]> {
    const bound = /\brespond-async\b/i.test(c.req.header('prefer') ?? '') ? 0 : deps.config.SYNC_WAIT_MS;
    return Promise.all(
      deletions.map(async ({ app: row, started }) => {
        const outcome = await awaitOperation(started.handle, bound);
        const base = { id: row.id, name: row.name, suffix: row.os_name, nameSpace: row.project_id, operation: operationLink(started.operationId) };
        if (outcome.state === 'completed') return { ...base, code: 200 };
        if (outcome.state === 'failed') {
          const failure = operationFailure(outcome, started.operationId);
          return { ...base, code: failure.status, message: failure.message };
        }
        return { ...base, code: 202, message: 'Still deleting' };
      }),
    );
  }

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app', 'Apps of the project (every project’s from project admin)'),
      responses: { 200: json(z.array(AppSchema), 'The apps, oldest first'), ...appErrors(404) },
    }),
    async (c) => {
      const scope = c.get('scope');
      let query = deps.db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('id');
      if (!scope.allProjects) query = query.where('project_id', '=', scope.projectId);
      return c.json(await viewsOf(c, deps, await query.execute()), 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app/{id}', 'One app in the seed’s shape, with its status, pods, services and media servers'),
      request: { params: AppIdParam },
      responses: { 200: json(AppSchema, 'The app'), ...appErrors(404) },
    }),
    async (c) => c.json(await viewOf(c, deps, await loadApp(c, deps, c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      ...paasRoute('delete', '/app/{id}', 'Delete an app and everything it placed (cancels an operation in progress first)'),
      request: { params: AppIdParam },
      responses: { 200: json(DeleteAnswer, 'Deleted'), 202: json(DeleteAnswer, 'Still deleting (Operation-Location)'), ...appErrors(404) },
    }),
    async (c) => {
      const deletion = await startDeletion(c, await loadApp(c, deps, c.req.valid('param').id));
      const [answer] = await settle(c, [deletion]);
      if (answer!.code !== 200 && answer!.code !== 202) throw paasError(answer!.code as 409, answer!.message ?? 'Delete failed', { operation: answer!.operation });
      return c.json(answer!, answer!.code as 200 | 202, opHeaders(deletion.started.operationId));
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('delete', '/app', 'Delete every app of the project'),
      responses: {
        ...appErrors(),
        200: json(DeleteAllAnswer, 'All deleted'),
        202: json(DeleteAllAnswer, 'Some still deleting'),
        404: json(DeleteAllAnswer, 'The project has no app'),
      },
    }),
    async (c) => {
      const { projectId } = c.get('scope');
      const rows = await deps.db.selectFrom('apps').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute();
      if (!rows.length) return c.json({ projectId, message: 'Not Found any Applications in this project', code: 404, responses: [] }, 404);
      const responses = await settle(c, await Promise.all(rows.map((r) => startDeletion(c, r))));
      const worst = responses.find((r) => r.code !== 200 && r.code !== 202) ?? responses.find((r) => r.code === 202);
      const code = worst?.code ?? 200;
      const message =
        code === 200
          ? 'All applications of this project were removed successfully'
          : code === 202
            ? 'The applications of this project are being removed'
            : 'Not all applications were deleted successfully';
      return c.json({ projectId, message, code, responses }, code as 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('post', '/multipledelete', 'Delete the listed apps (all found first, or nothing is deleted)'),
      request: { body: jsonDocumented(MultipleDeleteBody) },
      responses: { 204: { description: 'All deleted' }, 202: json(z.object({ code: z.number(), message: z.string(), responses: z.array(DeleteAnswer) }), 'Some still deleting'), ...appErrors(400, 404) },
    }),
    async (c) => {
      const ids = [...new Set(await readJsonBody(c, MultipleDeleteBody))];
      const rows: AppRow[] = [];
      for (const id of ids) rows.push(await loadApp(c, deps, id)); // every one first: an unknown id deletes nothing
      const responses = await settle(c, await Promise.all(rows.map((r) => startDeletion(c, r))));
      const failed = responses.find((r) => r.code !== 200 && r.code !== 202);
      if (failed) throw paasError(failed.code as 409, `Application ${failed.id}: ${failed.message}`, { operation: failed.operation });
      if (responses.some((r) => r.code === 202)) return c.json({ code: 202, message: 'The applications are being removed', responses }, 202);
      return c.body(null, 204);
    },
  );
}
