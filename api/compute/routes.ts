import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';
import { toHttpError } from '../errors';
import { rejectInvalid } from '../validation';
import { registerCatalogRoutes } from './catalog';
import { kahuAuth } from './context';
import { renderKahuError } from './errors';
import { registerHypervisorRoutes } from './hypervisors';
import { registerInstanceRoutes } from './instances';
import { registerSessionRoutes } from './session';
import { registerSnapshotRoutes } from './snapshots';
import { registerStorageRoutes } from './storage';

const kahuApp = () => {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalid, strict: false });
  app.onError((err, c) => renderKahuError(c, toHttpError(err)));
  return app;
};

/**
 * The Kahu compute API under /v0: sessions, the catalog, hypervisors, and instances with their
 * storage and snapshots — at /v0/compute (the caller's default tenant) and /v0/tenant/{tenant}/compute.
 */
export function computeRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = kahuApp();
  registerSessionRoutes(app, deps);

  const compute = kahuApp();
  compute.use('*', kahuAuth(deps));
  registerCatalogRoutes(compute, deps);
  registerInstanceRoutes(compute, deps);
  registerStorageRoutes(compute, deps);
  registerSnapshotRoutes(compute, deps);
  app.route('/compute', compute);
  app.route('/tenant/:tenant/compute', compute);

  const hypervisors = kahuApp();
  hypervisors.use('*', kahuAuth(deps));
  registerHypervisorRoutes(hypervisors, deps);
  app.route('/', hypervisors);
  return app;
}
