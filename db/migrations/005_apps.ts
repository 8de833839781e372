import { sql, type Kysely } from 'kysely';

// Tables of the NUBOMEDIA PaaS apps domain (db/apps.ts describes each column).
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const emptyList = sql`'[]'::jsonb`;
  await db.schema
    .createTable('apps')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id')) // a project with apps cannot vanish under them
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('os_name', 'text', (c) => c.notNull().unique())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('git_url', 'text', (c) => c.notNull())
    .addColumn('secret_name', 'text')
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('replicas_number', 'integer', (c) => c.notNull())
    .addColumn('number_of_instances', 'integer', (c) => c.notNull())
    .addColumn('quality_of_service', 'text')
    .addColumn('cloud_repository', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('cdn_connector', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('turn_server_activate', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('turn_server_url', 'text')
    .addColumn('turn_server_username', 'text')
    .addColumn('turn_password_sealed', 'text')
    .addColumn('stun_server_activate', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('stun_server_ip', 'text')
    .addColumn('stun_server_port', 'text')
    .addColumn('scale_out_limit', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('scale_out_threshold', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('ports', 'jsonb', (c) => c.notNull().defaultTo(emptyList))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('resource_ok', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('media_server_group_id', 'uuid', (c) => c.notNull())
    .addColumn('nsd_id', 'uuid', (c) => c.notNull())
    .addColumn('nsr_id', 'uuid', (c) => c.notNull())
    .addColumn('build_id', 'text')
    .addColumn('image', 'text')
    .addColumn('build_log', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('pods', 'jsonb', (c) => c.notNull().defaultTo(emptyList))
    .addColumn('media_server_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('apps_project_idx').on('apps').columns(['project_id', 'created_at']).execute();

  await db.schema
    .createTable('app_services')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('app_id', 'uuid', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('os_name', 'text', (c) => c.notNull().unique())
    .addColumn('docker_url', 'text', (c) => c.notNull())
    .addColumn('replicas_number', 'integer', (c) => c.notNull())
    .addColumn('ports', 'jsonb', (c) => c.notNull().defaultTo(emptyList))
    .addColumn('env_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('pods', 'jsonb', (c) => c.notNull().defaultTo(emptyList))
    .addUniqueConstraint('app_services_position_uq', ['app_id', 'position'])
    .execute();

  await db.schema
    .createTable('app_media_servers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('app_id', 'uuid', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('hostname', 'text', (c) => c.notNull().unique())
    .addColumn('client_token', 'text', (c) => c.notNull().unique())
    .addColumn('vm_id', 'text')
    .addColumn('floating_ip', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('app_media_servers_app_idx').on('app_media_servers').columns(['app_id', 'created_at']).execute();

  await db.schema
    .createTable('app_secrets')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('app_secrets_pk', ['project_id', 'name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['app_secrets', 'app_media_servers', 'app_services', 'apps']) await db.schema.dropTable(t).execute();
}
