import { body, bodyString, noContent, parse, pid, type Op, type SimApp, type SimContext } from '../kernel/http';
import { logQuery } from '../kernel/schema';
import type { Deployments } from './deployments';
import { createDeploymentBody, listDeploymentsQuery, listPodsQuery, scaleDeploymentBody } from './schema';

export function deploymentRoutes(app: SimApp, op: Op, deployments: Deployments): void {
  const deploymentRegion = (c: SimContext) => deployments.regionOf(pid(c));
  const podRegion = (c: SimContext) => deployments.pods.regionOf(pid(c));

  app.post(
    '/deployments',
    op(
      'createDeployment',
      'deployment',
      async (c) => {
        const { deployment, created } = await deployments.create(parse(createDeploymentBody, await body(c)));
        return c.json(deployment, created ? 201 : 200);
      },
      (c) => bodyString(c, 'region'),
    ),
  );
  app.get(
    '/deployments',
    op(
      'listDeployments',
      'deployment',
      (c) => c.json({ deployments: deployments.list(parse(listDeploymentsQuery, c.req.query())) }),
      (c) => c.req.query('region'),
    ),
  );
  app.get('/deployments/:id', op('getDeployment', 'deployment', (c) => c.json(deployments.get(pid(c))), deploymentRegion));
  app.post(
    '/deployments/:id/scale',
    op(
      'scaleDeployment',
      'deployment',
      async (c) => c.json(await deployments.scale(pid(c), parse(scaleDeploymentBody, await body(c)).replicas)),
      deploymentRegion,
    ),
  );
  app.delete(
    '/deployments/:id',
    op(
      'deleteDeployment',
      'deployment',
      async (c) => {
        await deployments.delete(pid(c));
        return noContent(c);
      },
      deploymentRegion,
    ),
  );

  app.get('/pods', op('listPods', 'pod', (c) => c.json({ pods: deployments.listPods(parse(listPodsQuery, c.req.query())) })));
  app.get('/pods/:id', op('getPod', 'pod', (c) => c.json(deployments.pods.get(pid(c))), podRegion));
  app.get(
    '/pods/:id/log',
    op('readPodLog', 'pod', async (c) => c.json(await deployments.readPodLog(pid(c), parse(logQuery, c.req.query()))), podRegion),
  );
}
