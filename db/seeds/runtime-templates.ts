import type { Db } from '../connection';
import type { RoleTemplate, RuntimeRole } from '../runtimes';

/**
 * Service templates covering the Provision Engine's documented examples: the flavours `nature`,
 * `s3`, `Function` and `Data`, and their tuples `FAAS.FLAVOUR[-DAAS.FLAVOUR]`. Each role's VM
 * template gives the default CPU, MEMORY (MB) and DISK_SIZE (MB). Admins add more with
 * PUT /serverless-runtimes/templates/{tuple}.
 */
export const DEFAULT_RUNTIME_TEMPLATES: Record<string, { description: string; roles: Partial<Record<RuntimeRole, RoleTemplate>> }> = {
  nature: { description: 'FaaS on the nature role', roles: { FAAS: { CPU: 1, MEMORY: 768, DISK_SIZE: 1024 } } },
  'nature-s3': {
    description: 'FaaS (nature) with S3 data service',
    roles: { FAAS: { CPU: 1, MEMORY: 768, DISK_SIZE: 1024 }, DAAS: { CPU: 1, MEMORY: 512, DISK_SIZE: 2048 } },
  },
  Function: { description: 'Function as a Service', roles: { FAAS: { CPU: 1, MEMORY: 128, DISK_SIZE: 200 } } },
  'Function-Data': {
    description: 'Function and Data as a Service',
    roles: { FAAS: { CPU: 1, MEMORY: 128, DISK_SIZE: 200 }, DAAS: { CPU: 1, MEMORY: 128, DISK_SIZE: 1024 } },
  },
};

/** Inserts the missing defaults; never overwrites what an admin changed. */
export async function seedRuntimeTemplates(db: Db): Promise<void> {
  for (const [tuple, t] of Object.entries(DEFAULT_RUNTIME_TEMPLATES)) {
    await db
      .insertInto('runtime_templates')
      .values({ tuple, description: t.description, roles: JSON.stringify(t.roles) })
      .onConflict((oc) => oc.column('tuple').doNothing())
      .execute();
  }
}
