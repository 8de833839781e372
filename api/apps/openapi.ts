import { z } from '@hono/zod-openapi';
import { json } from '../openapi-helpers';

/** OpenAPI pieces shared by the NUBOMEDIA PaaS route modules. */

export { json };

export const tags = ['nubomedia paas'];

/** A route behind `Authorization: Bearer` (and the `project-id` header). */
export const paasRoute = <M extends 'get' | 'post' | 'put' | 'delete', P extends string>(method: M, path: P, summary: string) => ({
  method,
  path,
  summary,
  description: 'Needs `Authorization: Bearer <token from POST /oauth/token>`; `project-id` names the project (default: your default project).',
  tags,
  security: [{ bearer: [] }],
});

export const PaasErrorSchema = z
  .object({ code: z.number(), error: z.string(), message: z.string(), operation: z.string().optional() })
  .openapi('NubomediaError');

const ERRORS = {
  400: 'Invalid request; the message names the field',
  401: 'Missing or invalid token',
  403: 'A guest may only read',
  404: 'Unknown (or another project’s) application, media server or pod',
  409: 'The app is not RUNNING, or another operation holds it',
  428: 'TURN activated without username or password',
} as const;

/** The error answers a route documents (401 and 403 apply to every route). */
export function appErrors<S extends keyof typeof ERRORS>(...statuses: S[]) {
  return Object.fromEntries([401, 403, ...statuses].map((s) => [s, json(PaasErrorSchema, ERRORS[s as S])])) as unknown as Record<S | 401 | 403, ReturnType<typeof json<typeof PaasErrorSchema>>>;
}

export const AppIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '167dfd1b-53d4-47b4-8274-8127cf2470f2' }) });
export const HostParams = AppIdParam.extend({ hostname: z.string().min(1).max(253).openapi({ param: { name: 'hostname', in: 'path' } }) });

export const MediaServerSchema = z
  .object({ floatingIp: z.string().optional(), hostname: z.string(), id: z.string(), status: z.enum(['INITIALIZING', 'ACTIVE', 'INACTIVE']) })
  .openapi('MediaServer');

export const AppSchema = z.record(z.string(), z.unknown()).openapi('NubomediaApp', {
  example: {
    id: '167dfd1b-53d4-47b4-8274-8127cf2470f2',
    name: 'magic-mirror-mp',
    osName: 'l673e47be',
    route: 'l673e47be.apps.provisio.local',
    status: 'RUNNING',
    flavor: 'MEDIUM',
    mediaServerGroup: { hosts: [{ floatingIp: '100.64.0.2', hostname: 'media-server-vnf-l673e47be-1', id: '080affac-…', status: 'ACTIVE' }] },
  },
});

/** 202 for an operation started: where to follow it. */
export const AcceptedSchema = z.object({ code: z.literal(202), message: z.string(), operation: z.string() }).openapi('NubomediaAccepted');
