import { Hono } from 'hono';
import type { Logger } from 'pino';
import { buildRoutes } from './builds/routes';
import { chaosRoutes } from './chaos/routes';
import type { Cloud } from './cloud';
import { deploymentRoutes } from './deployments/routes';
import type { Credentials } from './flavors/credentials';
import { flavorRoutes } from './flavors/routes';
import { hostRoutes, type HostDefaults } from './hosts/routes';
import { createOp, installErrorHandlers, type Env } from './kernel/http';
import { metricRoutes } from './metrics/routes';
import { prometheusRoutes } from './metrics-endpoint';
import { snapshotRoutes } from './snapshots/routes';
import { vmRoutes } from './vms/routes';
import { volumeRoutes } from './volumes/routes';

export interface AppDeps {
  cloud: Cloud;
  hostDefaults: HostDefaults;
  /** What the region services (flavor catalogs) accept. */
  credentials: Credentials;
  logger: Logger;
}

/** simcloud's HTTP API: one set of routes per resource module, each operation faultable by name. */
export function createApp({ cloud, hostDefaults, credentials, logger }: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  installErrorHandlers(app, logger);
  const op = createOp(cloud.faults, logger);

  app.get('/healthz', (c) => c.json(cloud.health()));
  hostRoutes(app, op, cloud.hosts, hostDefaults);
  vmRoutes(app, op, cloud.vms, cloud.hosts);
  volumeRoutes(app, op, cloud.volumes, cloud.vms);
  snapshotRoutes(app, op, cloud.snapshots, cloud.vms);
  deploymentRoutes(app, op, cloud.deployments);
  buildRoutes(app, op, cloud.builds);
  flavorRoutes(app, op, cloud.flavors, credentials);
  metricRoutes(app, op, cloud.metrics);
  prometheusRoutes(app, cloud);
  chaosRoutes(app, {
    kernel: cloud.kernel,
    hosts: cloud.hosts,
    vms: cloud.vms,
    deployments: cloud.deployments,
    faults: cloud.faults,
    metrics: cloud.metrics,
    reseed: (seed) => cloud.reseed(seed),
  });
  return app;
}
