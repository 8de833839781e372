import { z } from '@hono/zod-openapi';

/** Bodies and answers of the BigData PaaS API: one zod schema validates, documents and types each. */

const required = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : `must be ${what}`) });

/** Product names and versions become URI segments and registry DNs. */
export const PRODUCT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const segment = (what: string) =>
  z.string(required('a string')).regex(PRODUCT_SEGMENT, `a ${what} is 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-", starting with a letter or digit`);

export const ProductBody = z
  .object({
    name: segment('name').openapi({ example: 'reference' }),
    version: segment('version').openapi({ example: '1.0.0' }),
    description: z.string(required('a string')).min(1, 'must not be empty').max(4096).openapi({ example: 'Reference product: minimal' }),
    /** Upstream added it later; the seed's own examples omit it, so it is optional here. */
    logo_url: z.string(required('a string')).max(2048).default('').openapi({ example: 'https://example.org/logo.png' }),
  })
  .openapi('ProductRegistration');

const defaults = z.record(z.string().min(1).max(256), z.unknown());
export const OptionsBody = z
  .strictObject({
    required: defaults.default({}),
    optional: defaults.default({}),
    advanced: defaults.default({}),
    descriptions: z.record(z.string(), z.string()).default({}),
  })
  .openapi('ProductOptions', {
    example: {
      required: { 'slaves.number': 4 },
      optional: { 'slaves.cpu': 2, 'slaves.mem': 2048 },
      advanced: { 'datanode.heap': 1024 },
      descriptions: { 'slaves.number': 'Number of slave nodes' },
    },
  });

/** A launch's options: option name → value; `{}` when none. */
export const LaunchBody = z.record(z.string().min(1).max(256), z.unknown(), { error: 'must be a JSON object of option values' }).openapi('LaunchOptions', {
  example: { size: 2 },
});

export const ErrorSchema = z
  .object({ status: z.number().int(), error: z.string(), message: z.string() })
  .openapi('BigDataError', { example: { status: 400, error: 'invalid options', message: 'missing required option: size' } });

export const ProductSchema = z
  .object({
    dn: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string(),
    logo_url: z.string(),
    templatetype: z.enum(['json+jinja2', 'yaml+jinja2']).nullable(),
  })
  .openapi('Product');

export const QueuedSchema = z.object({ url: z.string().openapi({ example: '/bigdata/api/v1/queue/0b5f…' }) }).openapi('Queued');

const StatusChange = z.object({ status: z.string(), at: z.string() });
export const ClusterSchema = z
  .object({
    result: z.literal('success'),
    uri: z.string().openapi({ example: '/bigdata/api/v1/clusters/alice/reference/1.0.0/1' }),
    data: z.object({
      name: z.string().nullable().openapi({ description: "The rendered template's dnsname" }),
      dn: z.string().openapi({ example: 'clusters/alice/reference/1.0.0/1' }),
      status: z.string().openapi({ example: 'ready' }),
      id: z.number().int(),
      user: z.string(),
      product: z.string(),
      version: z.string(),
      error: z.string().optional(),
      history: z.array(StatusChange),
      resource: z.string().openapi({ description: "ResourceId of the cluster's operations in the Temporal UI", example: 'cluster/17' }),
      operations: z.string().openapi({ example: '/v1/operations?resource=cluster/17' }),
    }),
  })
  .openapi('Cluster');

export const ClusterListSchema = z.object({ clusters: z.array(ClusterSchema), next: z.string().optional() }).openapi('ClusterList');

const Attributes = z.record(z.string(), z.unknown());
export const NodeSchema = z
  .object({
    dn: z.string(),
    name: z.string(),
    docker_image: z.string(),
    cpu: z.number(),
    mem: z.number(),
    host: z.string().nullable(),
    address: z.string().nullable(),
    status: z.enum(['pending', 'queued', 'running', 'failed', 'stopped']),
    error: z.string().optional(),
    disks: z.array(Attributes),
    networks: z.array(Attributes),
  })
  .catchall(z.unknown())
  .openapi('ClusterNode');

export const ServiceSchema = z
  .object({ dn: z.string(), name: z.string(), status: z.string(), nodes: z.array(z.string()), output: z.array(z.string()) })
  .catchall(z.unknown())
  .openapi('ClusterService');

/** JSON Schema of a body the handler parses itself (so it can answer 415 and malformed JSON first). */
export const documented = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
