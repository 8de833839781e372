import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { checkTemplateSyntax, TemplateError } from '../../activities/clusters/template';
import type { TemplateType } from '../../db/clusters';
import type { AppDeps, AppEnv } from '../deps';
import { loadProduct, requireCatalogManager } from './access';
import { mediaTypeOf, readJson, readText } from './body';
import { badRequest, clusterError, notFound } from './errors';
import { authenticated, BASE_PATH, err, errors, json, NameParam, ProductParams, tags, textContent } from './openapi';
import { documented, OptionsBody, ProductBody, ProductSchema } from './schemas';
import { productView } from './views';

const MAX_TEMPLATE_BYTES = 256 * 1024;
const MAX_ORCHESTRATOR_BYTES = 1024 * 1024;

/** Template media types and the template type each means. */
const TEMPLATE_TYPES: Record<string, TemplateType> = {
  'application/json': 'json+jinja2',
  'application/yaml': 'yaml+jinja2',
  'application/x-yaml': 'yaml+jinja2',
  'text/yaml': 'yaml+jinja2',
};
const MEDIA_TYPE_OF: Record<TemplateType, string> = { 'json+jinja2': 'application/json', 'yaml+jinja2': 'application/yaml' };

/** The catalog: products, their versions, and per version a template, options and an orchestrator. */
export function registerProductRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const manager = async (c: Context<AppEnv>) => requireCatalogManager(deps.db, c.get('principal'));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/products',
      ...authenticated(auth),
      summary: 'Register a product version (admins and managers)',
      request: { body: { required: true, content: { 'application/json': { schema: documented(ProductBody) as any } } } },
      responses: {
        201: { ...json(ProductSchema, 'Registered; Location names it'), headers: { Location: { schema: { type: 'string' } } } },
        400: errors[400],
        401: errors[401],
        403: errors[403],
        409: err('That version is already registered'),
        415: errors[415],
      },
    }),
    async (c) => {
      await manager(c);
      const body = await readJson(c, ProductBody);
      const inserted = await deps.db
        .insertInto('cluster_products')
        .values({ name: body.name, version: body.version, description: body.description, logo_url: body.logo_url, created_by: c.get('principal').userId })
        .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) throw clusterError(409, 'conflict', `product ${body.name} version ${body.version} is already registered`);
      return c.json(productView(inserted), 201, { Location: `${BASE_PATH}/products/${body.name}/${body.version}` });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products',
      ...authenticated(auth),
      summary: 'Names of the registered products',
      responses: { 200: json(z.object({ products: z.array(z.string()) }), 'Product names'), 401: errors[401] },
    }),
    async (c) => {
      const rows = await deps.db.selectFrom('cluster_products').select('name').distinct().orderBy('name').execute();
      return c.json({ products: rows.map((r) => r.name) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products/{name}',
      tags,
      summary: 'Versions of a product (public: no token needed)',
      request: { params: NameParam },
      responses: { 200: json(z.object({ versions: z.array(z.string()) }), 'Versions, oldest first'), 400: errors[400], 404: errors[404] },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const rows = await deps.db.selectFrom('cluster_products').select('version').where('name', '=', name).orderBy('created_at').execute();
      if (!rows.length) throw notFound(`no product ${name}`);
      return c.json({ versions: rows.map((r) => r.version) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products/{name}/{version}',
      ...authenticated(auth),
      summary: 'One product version',
      request: { params: ProductParams },
      responses: { 200: json(ProductSchema, 'The product version'), 400: errors[400], 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      return c.json(productView(await loadProduct(deps.db, name, version)), 200);
    },
  );

  registerTemplateRoutes(app, deps, auth, manager);
  registerOptionsRoutes(app, deps, auth, manager);
  registerOrchestratorRoutes(app, deps, auth, manager);
}

type Manager = (c: Context<AppEnv>) => Promise<void>;
type StoredPart = { template: string; template_type: TemplateType } | { options: string } | { orchestrator: string };

async function storePart(deps: AppDeps, name: string, version: string, part: StoredPart): Promise<void> {
  await deps.db
    .updateTable('cluster_products')
    .set({ ...part, updated_at: new Date() })
    .where('name', '=', name)
    .where('version', '=', version)
    .execute();
}

const stored = { 204: { description: 'Stored' } };

function registerTemplateRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>, manager: Manager): void {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/products/{name}/{version}/template',
      ...authenticated(auth),
      summary: 'Store the Jinja2 template of a product version: JSON (application/json) or YAML (application/yaml)',
      request: { params: ProductParams, body: textContent(Object.keys(TEMPLATE_TYPES), 'A Jinja2 template rendering the cluster document') },
      responses: { ...stored, 400: err('Template syntax error (the message names the line)'), 401: errors[401], 403: errors[403], 404: errors[404], 413: errors[413], 415: errors[415] },
    }),
    async (c) => {
      await manager(c);
      const { name, version } = c.req.valid('param');
      await loadProduct(deps.db, name, version);
      const type = TEMPLATE_TYPES[mediaTypeOf(c)];
      if (!type) throw clusterError(415, 'unsupported media type', `send the template as application/json or application/yaml (got ${mediaTypeOf(c) || 'no Content-Type'})`);
      const template = await readText(c, MAX_TEMPLATE_BYTES);
      if (!template.trim()) throw badRequest('the template is empty');
      try {
        checkTemplateSyntax(template);
      } catch (e) {
        if (e instanceof TemplateError) throw badRequest(e.message);
        throw e;
      }
      await storePart(deps, name, version, { template, template_type: type });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products/{name}/{version}/template',
      ...authenticated(auth),
      summary: 'The template as stored, with the media type it was stored with',
      request: { params: ProductParams },
      responses: { 200: { description: 'The template', content: { 'application/json': { schema: { type: 'string' } as any }, 'application/yaml': { schema: { type: 'string' } as any } } }, 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      const product = await loadProduct(deps.db, name, version);
      if (!product.template || !product.template_type) throw notFound(`product ${name} ${version} has no template yet`);
      return c.body(product.template, 200, { 'content-type': `${MEDIA_TYPE_OF[product.template_type]}; charset=utf-8` });
    },
  );
}

function registerOptionsRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>, manager: Manager): void {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/products/{name}/{version}/options',
      ...authenticated(auth),
      summary: 'Store the launch options of a product version: required, optional and advanced defaults, and descriptions',
      request: { params: ProductParams, body: { required: true, content: { 'application/json': { schema: documented(OptionsBody) as any } } } },
      responses: { ...stored, 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 415: errors[415] },
    }),
    async (c) => {
      await manager(c);
      const { name, version } = c.req.valid('param');
      await loadProduct(deps.db, name, version);
      const options = await readJson(c, OptionsBody);
      await storePart(deps, name, version, { options: JSON.stringify(options) });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products/{name}/{version}/options',
      ...authenticated(auth),
      summary: 'The launch options of a product version',
      request: { params: ProductParams },
      responses: { 200: json(OptionsBody, 'The options'), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      const product = await loadProduct(deps.db, name, version);
      if (!product.options) throw notFound(`product ${name} ${version} has no options yet`);
      return c.json(product.options, 200);
    },
  );
}

/** Upstream's code says `orchestrator`, the seed says `orquestrator`: both paths answer. */
function registerOrchestratorRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>, manager: Manager): void {
  for (const spelling of ['orchestrator', 'orquestrator']) {
    app.openapi(
      createRoute({
        method: 'put',
        path: `/products/{name}/{version}/${spelling}`,
        ...authenticated(auth),
        summary: 'Store the orchestrator script run against a launched cluster (any Content-Type: the body is the script)',
        request: { params: ProductParams, body: textContent(['text/plain', 'application/octet-stream'], 'The script, e.g. a Fabric fabfile') },
        responses: { ...stored, 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 413: errors[413] },
      }),
      async (c) => {
        await manager(c);
        const { name, version } = c.req.valid('param');
        await loadProduct(deps.db, name, version);
        const script = await readText(c, MAX_ORCHESTRATOR_BYTES);
        if (!script.trim()) throw badRequest('the orchestrator script is empty');
        await storePart(deps, name, version, { orchestrator: script });
        return c.body(null, 204);
      },
    );

    app.openapi(
      createRoute({
        method: 'get',
        path: `/products/{name}/{version}/${spelling}`,
        ...authenticated(auth),
        summary: 'The orchestrator script, as stored',
        request: { params: ProductParams },
        responses: { 200: { description: 'The script', content: { 'text/plain': { schema: { type: 'string' } as any } } }, 401: errors[401], 404: errors[404] },
      }),
      async (c) => {
        const { name, version } = c.req.valid('param');
        const product = await loadProduct(deps.db, name, version);
        if (product.orchestrator === null) throw notFound(`product ${name} ${version} has no orchestrator yet`);
        return c.text(product.orchestrator, 200);
      },
    );
  }
}
