import { sql, type Kysely } from 'kysely';

// Tables of the BigData PaaS products and clusters domain. Objects whose key order means something
// (a node's first network, options as written) are `json`, which keeps it; jsonb would sort keys.
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('cluster_products')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('logo_url', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('template', 'text')
    .addColumn('template_type', 'text', (c) => c.check(sql`template_type in ('json+jinja2', 'yaml+jinja2')`))
    .addColumn('options', 'json')
    .addColumn('orchestrator', 'text')
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('cluster_products_pk', ['name', 'version'])
    .execute();
  await db.schema
    .createTable('cluster_counters')
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('last_number', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cluster_counters_pk', ['owner_id', 'product', 'version'])
    .execute();
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('queue_id', 'uuid', (c) => c.notNull().unique().defaultTo(sql`gen_random_uuid()`))
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('owner_name', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dnsname', 'text')
    .addColumn('region', 'text')
    .addColumn('error', 'text')
    .addColumn('options', 'json', (c) => c.notNull())
    .addColumn('history', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addForeignKeyConstraint('clusters_product_fk', ['product', 'version'], 'cluster_products', ['name', 'version'])
    .addUniqueConstraint('clusters_path_unique', ['owner_name', 'product', 'version', 'number'])
    .execute();
  await db.schema.createIndex('clusters_owner_idx').on('clusters').columns(['owner_id', 'id']).execute();
  await db.schema
    .createTable('cluster_nodes')
    .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('docker_image', 'text', (c) => c.notNull())
    .addColumn('cpu', 'double precision', (c) => c.notNull())
    .addColumn('mem', 'integer', (c) => c.notNull())
    .addColumn('disks', 'json', (c) => c.notNull())
    .addColumn('networks', 'json', (c) => c.notNull())
    .addColumn('properties', 'json', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('host_id', 'text')
    .addColumn('host', 'text')
    .addColumn('address', 'text')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('cluster_nodes_pk', ['cluster_id', 'name'])
    .execute();
  await db.schema
    .createTable('cluster_services')
    .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('nodes', 'json', (c) => c.notNull())
    .addColumn('properties', 'json', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('output', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('cluster_services_pk', ['cluster_id', 'name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['cluster_services', 'cluster_nodes', 'clusters', 'cluster_counters', 'cluster_products']) await db.schema.dropTable(t).execute();
}
