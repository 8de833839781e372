import { randomBytes } from 'node:crypto';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { seal } from '../../activities/apps/sealed';
import type { AppDeps } from '../deps';
import type { PaasEnv } from './context';
import { jsonDocumented, paasError, readJsonBody } from './errors';
import { appErrors, json, paasRoute } from './openapi';
import { CreateSecretBody } from './schemas';

/**
 * Git private keys (upstream's OpenShift secrets): POST /secret stores one, sealed, for the
 * project and answers its name (text, as upstream), which an app's `secretName` then names;
 * DELETE /secret/{projectName}/{secretName}. The key is never returned. Also GET /server-ip/,
 * the address of the media-server manager apps register with.
 */
export function registerSecretRoutes(app: OpenAPIHono<PaasEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      ...paasRoute('post', '/secret', 'Store a private key for cloning over SSH; answers the secret’s name'),
      request: { body: jsonDocumented(CreateSecretBody) },
      responses: { 200: { description: 'The secret’s name', content: { 'text/plain': { schema: z.string() } } }, ...appErrors(400) },
    }),
    async (c) => {
      const { privateKey } = await readJsonBody(c, CreateSecretBody);
      const name = `secret-${randomBytes(4).toString('hex')}`;
      await deps.db
        .insertInto('app_secrets')
        .values({
          project_id: c.get('scope').projectId,
          name,
          private_key_sealed: seal(deps.config, 'gitKey', privateKey),
          created_by: c.get('principal').userId,
        })
        .execute();
      return c.text(name, 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('delete', '/secret/{projectName}/{secretName}', 'Delete a stored private key'),
      request: {
        params: z.object({
          projectName: z.string().openapi({ param: { name: 'projectName', in: 'path' } }),
          secretName: z.string().openapi({ param: { name: 'secretName', in: 'path' } }),
        }),
      },
      responses: { 200: json(z.object({ secretName: z.string(), projectName: z.string(), code: z.number() }), 'Deleted'), ...appErrors(404) },
    }),
    async (c) => {
      const { projectName, secretName } = c.req.valid('param');
      const deleted = await deps.db
        .deleteFrom('app_secrets')
        .where('project_id', '=', c.get('scope').projectId)
        .where('name', '=', secretName)
        .executeTakeFirst();
      if (!deleted.numDeletedRows) throw paasError(404, `Secret ${secretName} not found`);
      return c.json({ secretName, projectName, code: 200 }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('get', '/server-ip', 'Address of the media-server manager apps register with (also /server-ip/)'),
      responses: { 200: { description: 'The address', content: { 'text/plain': { schema: z.string() } } }, ...appErrors() },
    }),
    (c) => c.text(deps.config.APPS_SERVER_IP, 200),
  );
}
