import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('compute_profiles')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('network', 'jsonb', (c) => c.notNull())
    .addColumn('storage', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createTable('compute_sizes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('ncpu', 'integer', (c) => c.notNull())
    .addColumn('memory', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  // Kahu numbers instances from 0.
  await sql`create sequence instances_id_seq minvalue 0 start with 0`.execute(db);
  await db.schema
    .createTable('instances')
    .addColumn('id', 'integer', (c) => c.primaryKey().defaultTo(sql`nextval('instances_id_seq')`))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('ncpu', 'integer', (c) => c.notNull())
    .addColumn('memory', 'integer', (c) => c.notNull())
    .addColumn('hypervisor', 'integer')
    .addColumn('ssh_key', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('vm_id', 'text')
    .addColumn('host_id', 'text')
    .addColumn('ipv4', 'text')
    .addColumn('hw', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('console', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await sql`alter sequence instances_id_seq owned by instances.id`.execute(db);
  await db.schema.createIndex('instances_project_idx').on('instances').columns(['project_id', 'id']).execute();
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createTable('instance_volumes')
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('bootable', 'boolean', (c) => c.notNull())
    .addColumn('bus', 'text', (c) => c.notNull())
    .addColumn('guest_iface', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('order', 'integer', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('vdi_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('cloud_volume_id', 'text')
    .addColumn('upload_id', 'uuid', (c) => c.references('uploads.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('instance_volumes_pk', ['instance_id', 'name'])
    .execute();
  await db.schema
    .createTable('instance_snapshots')
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('cloud_snapshot_id', 'text')
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('network', 'jsonb', (c) => c.notNull())
    .addColumn('storage', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('instance_snapshots_pk', ['instance_id', 'name'])
    .execute();
  await db.schema
    .createTable('hypervisors')
    .addColumn('index', 'integer', (c) => c.primaryKey())
    .addColumn('host_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('ncpu', 'integer', (c) => c.notNull())
    .addColumn('memory', 'integer', (c) => c.notNull())
    .addColumn('disk', 'integer', (c) => c.notNull())
    .addColumn('used_ncpu', 'integer', (c) => c.notNull())
    .addColumn('used_memory', 'integer', (c) => c.notNull())
    .addColumn('used_disk', 'integer', (c) => c.notNull())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['hypervisors', 'instance_snapshots', 'instance_volumes', 'uploads', 'instances', 'compute_sizes', 'compute_profiles']) {
    await db.schema.dropTable(t).execute();
  }
}
