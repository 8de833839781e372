import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';
import { DEFAULT_CAPACITY, MAX_FACTOR } from './capacity';
import { AnyObject, json, tags } from './openapi';
import { runtimeJsonSchema } from './schemas';
import { supervisorSettings } from './settings';

/** Provision Engine's version this surface implements (GET /server/version). */
export const PROVISION_ENGINE_VERSION = '1.3.3';

const routes = {
  schema: createRoute({
    method: 'get',
    path: '/serverless-runtimes/schema',
    tags,
    summary: 'JSON Schema of a Serverless Runtime specification (no authentication)',
    responses: { 200: json(AnyObject, 'The JSON Schema') },
  }),
  version: createRoute({
    method: 'get',
    path: '/server/version',
    tags,
    summary: 'Provision Engine version (a JSON string; no authentication)',
    responses: { 200: json(z.string(), 'Version') },
  }),
  config: createRoute({
    method: 'get',
    path: '/server/config',
    tags,
    summary: 'Engine configuration, without secrets (no authentication)',
    responses: { 200: json(AnyObject, 'Configuration') },
  }),
};

/** The unauthenticated endpoints: the specification's JSON Schema, the engine's version and configuration. */
export function registerServerInfoRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(routes.schema, (c) => c.json(runtimeJsonSchema, 200));
  app.openapi(routes.version, (c) => c.json(PROVISION_ENGINE_VERSION, 200));
  app.openapi(routes.config, (c) => {
    const s = supervisorSettings(deps.config, 0);
    return c.json(
      {
        version: PROVISION_ENGINE_VERSION,
        auth: 'HTTP Basic (Provisio users); runtimes belong to the caller’s default project',
        capacity: { defaults: DEFAULT_CAPACITY, max_factor: MAX_FACTOR },
        supervisor: { interval_ms: s.intervalMs, checks_per_run: s.ticksPerRun, max_recoveries: s.maxRecoveries },
        recovery: { attempts: s.recoveryAttempts, first_delay_ms: s.recoveryDelayMs },
        sync_wait_ms: deps.config.SYNC_WAIT_MS,
        cloud_poll_ms: deps.config.CLOUD_POLL_MS,
      },
      200,
    );
  });
}
