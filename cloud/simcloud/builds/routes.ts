import { body, noContent, parse, pid, type Op, type SimApp } from '../kernel/http';
import { logQuery } from '../kernel/schema';
import type { Builds } from './builds';
import { createBuildBody, listBuildsQuery } from './schema';

export function buildRoutes(app: SimApp, op: Op, builds: Builds): void {
  app.post(
    '/builds',
    op('createBuild', 'build', async (c) => {
      const { build, created } = await builds.create(parse(createBuildBody, await body(c)));
      return c.json(build, created ? 201 : 200);
    }),
  );
  app.get('/builds', op('listBuilds', 'build', (c) => c.json({ builds: builds.list(parse(listBuildsQuery, c.req.query())) })));
  app.get('/builds/:id', op('getBuild', 'build', (c) => c.json(builds.get(pid(c)))));
  app.post('/builds/:id/cancel', op('cancelBuild', 'build', async (c) => c.json(await builds.cancel(pid(c)))));
  app.delete(
    '/builds/:id',
    op('deleteBuild', 'build', async (c) => {
      await builds.delete(pid(c));
      return noContent(c);
    }),
  );
  app.get('/builds/:id/log', op('readBuildLog', 'build', async (c) => c.json(await builds.readLog(pid(c), parse(logQuery, c.req.query())))));
}
