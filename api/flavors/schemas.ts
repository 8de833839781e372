import { z } from '@hono/zod-openapi';

/**
 * zod schemas of the flavor-sync API (the blueprint's bodies): they validate JSON bodies and XML
 * bodies alike (xml.ts turns XML into the same shape first), document both in /openapi.json and
 * type the handlers. Objects are strict: an unknown field is a 400 naming it.
 */

// Postgres integer columns bound every figure; the blueprint's own example asks for a 1262485504 GB disk.
const INT32_MAX = 2_147_483_647;
const amount = (min: number, description: string) => z.number().int().min(min).max(INT32_MAX).openapi({ description });

/** Infrastructure (= region) names: they appear in paths and in operation resource ids. */
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const RegionName = z
  .string()
  .regex(REGION_NAME, 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit')
  .openapi({ example: 'region-1' });

const flavorSpecShape = {
  name: z.string().trim().min(1).max(255).openapi({ example: 'TestNano' }),
  vcpus: amount(1, 'Virtual CPUs'),
  ram: amount(1, 'RAM in MB'),
  disk: amount(0, 'Disk in GB'),
  swap: amount(0, 'Swap in MB'),
};

/** `{"flavor": {name, vcpus, ram, disk, swap}}`: a promoted flavor, or a region's own flavor. */
export const FlavorSpecBody = z.strictObject({ flavor: z.strictObject(flavorSpecShape) }).openapi('FlavorSpecBody', {
  example: { flavor: { name: 'TestNano', vcpus: 1, ram: 2, disk: 10, swap: 0 } },
});

const nodes = z
  .array(RegionName)
  .max(1000)
  .transform((list) => [...new Set(list)])
  .openapi({ description: 'Registered infrastructures (regions) to install the flavor in', example: ['region-1'] });

/** `POST /v1/flavors`: a catalog flavor, optionally published (and promoted) and installed at once. */
export const FlavorCreateBody = z
  .strictObject({
    flavor: z.strictObject({
      ...flavorSpecShape,
      public: z.boolean().optional().openapi({ description: 'Publish it (default false)' }),
      promoted: z.boolean().optional().openapi({ description: 'Promote it; needs public' }),
      nodes: nodes.optional(),
    }),
  })
  .openapi('FlavorCreateBody', { example: { flavor: { name: 'insane', vcpus: 640, ram: 1232896, disk: 1262485504, swap: 0 } } });

/** `PUT /v1/flavors/{id}`: publish, promote, and/or install into more regions. */
export const FlavorModifyBody = z
  .strictObject({
    flavor: z
      .strictObject({
        public: z.boolean().optional().openapi({ description: 'true publishes; a published flavor cannot be unpublished' }),
        promoted: z.boolean().optional().openapi({ description: 'true promotes (needs public); a promoted flavor cannot be unpromoted' }),
        nodes: nodes.optional(),
      })
      .refine((f) => f.public !== undefined || f.promoted !== undefined || f.nodes !== undefined, 'give at least one of public, promoted or nodes'),
  })
  .openapi('FlavorModifyBody', { example: { flavor: { nodes: ['region-2'] } } });

export const InfrastructureBody = z
  .strictObject({
    infrastructure: z.strictObject({
      name: RegionName.openapi({ description: 'The region, as the cloud names it' }),
      nova_url: z.url().max(2048).optional().openapi({ description: 'Accepted for compatibility; the region is reached at keystone_url' }),
      keystone_url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .openapi({ description: 'Where the cloud answers (for simcloud: its URL)', example: 'http://127.0.0.1:4100' }),
      username: z.string().min(1).max(255),
      password: z.string().min(1).max(1024).openapi({ format: 'password', description: 'Stored encrypted; never returned' }),
      tenant: z.string().min(1).max(255),
    }),
  })
  .openapi('InfrastructureBody');

export const FlavorSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    vcpus: z.number().int(),
    ram: z.number().int(),
    disk: z.number().int(),
    swap: z.number().int(),
    promoted: z.boolean(),
    public: z.boolean(),
    nodes: z.array(z.string()),
  })
  .openapi('Flavor');
export type FlavorView = z.infer<typeof FlavorSchema>;

export const FlavorDocument = z.object({ flavor: FlavorSchema }).openapi('FlavorDocument');
export const FlavorsDocument = z.object({ flavors: z.array(FlavorSchema) }).openapi('FlavorsDocument');
export const InfrastructureDocument = z.object({ infrastructure: z.object({ name: z.string() }) }).openapi('InfrastructureDocument');
export const RegionsDocument = z
  .object({ Infrastructures: z.array(z.object({ id: z.string(), name: z.string() })) })
  .openapi('RegionsDocument', { example: { Infrastructures: [{ id: 'region-1', name: 'region-1' }] } });
export const ErrorDocument = z.object({ error: z.object({ message: z.string() }) }).openapi('FlavorSyncError');

/** Every document the API answers with; xml.ts renders each as the blueprint's XML. */
export type FlavorSyncDocument =
  | z.infer<typeof FlavorDocument>
  | z.infer<typeof FlavorsDocument>
  | z.infer<typeof InfrastructureDocument>
  | z.infer<typeof RegionsDocument>
  | z.infer<typeof ErrorDocument>;

const flag = z
  .enum(['true', 'false'], { message: 'must be true or false' })
  .transform((v) => v === 'true')
  .optional();

export const FlavorListQuery = z.object({
  public: flag.openapi({ param: { name: 'public', in: 'query' }, description: 'Only public (true) or only private (false) flavors' }),
  promoted: flag.openapi({ param: { name: 'promoted', in: 'query' }, description: 'Only promoted (true) or only unpromoted (false) flavors' }),
  limit: z.coerce.number().int().min(1).max(1000).default(1000).openapi({ param: { name: 'limit', in: 'query' } }),
  marker: z.string().max(64).optional().openapi({ param: { name: 'marker', in: 'query' }, description: 'Id of the last flavor of the previous page' }),
});

export const FlavorIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
export const RegionParam = z.object({ region: z.string().openapi({ param: { name: 'region', in: 'path' }, example: 'region-1' }) });
export const RegionFlavorParams = RegionParam.extend({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
export const InfrastructureParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'region-1' }) });
