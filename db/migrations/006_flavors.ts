import { sql, type Kysely } from 'kysely';

// The FIWARE flavor catalog: registered infrastructures (regions), flavors, and where each flavor is installed.
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('flavor_infrastructures')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('keystone_url', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('credentials_sealed', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createTable('flavors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('ram', 'integer', (c) => c.notNull())
    .addColumn('disk', 'integer', (c) => c.notNull())
    .addColumn('swap', 'integer', (c) => c.notNull())
    .addColumn('public', 'boolean', (c) => c.notNull())
    .addColumn('promoted', 'boolean', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('flavors_promoted_is_public', sql`not promoted or public`)
    .execute();
  await db.schema
    .createTable('flavor_nodes')
    .addColumn('flavor_id', 'text', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    // A region still holding flavors cannot be unregistered (the API answers 409 first).
    .addColumn('infrastructure_name', 'text', (c) => c.notNull().references('flavor_infrastructures.name').onDelete('restrict'))
    .addColumn('installed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('flavor_nodes_pk', ['flavor_id', 'infrastructure_name'])
    .execute();
  await db.schema.createIndex('flavor_nodes_infrastructure_idx').on('flavor_nodes').column('infrastructure_name').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flavor_nodes').execute();
  await db.schema.dropTable('flavors').execute();
  await db.schema.dropTable('flavor_infrastructures').execute();
}
