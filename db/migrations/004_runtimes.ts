import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('runtime_templates')
    .addColumn('tuple', 'text', (c) => c.primaryKey())
    .addColumn('roles', 'jsonb', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create sequence runtime_service_id_seq start with 1000`.execute(db);
  await db.schema
    .createTable('runtimes')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('service_id', 'integer', (c) => c.notNull().unique().defaultTo(sql`nextval('runtime_service_id_seq')`))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tuple', 'text', (c) => c.notNull())
    .addColumn('scheduling', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('device_info', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('auth_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await sql`alter sequence runtime_service_id_seq owned by runtimes.service_id`.execute(db);
  await db.schema.createIndex('runtimes_project_idx').on('runtimes').columns(['project_id', 'id']).execute();
  await sql`create sequence runtime_vm_number_seq start with 100`.execute(db);
  await db.schema
    .createTable('runtime_functions')
    .addColumn('runtime_id', 'integer', (c) => c.notNull().references('runtimes.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('flavour', 'text', (c) => c.notNull())
    .addColumn('vm_number', 'integer', (c) => c.notNull().unique().defaultTo(sql`nextval('runtime_vm_number_seq')`))
    .addColumn('cloud_vm_id', 'text')
    .addColumn('host_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('cpu', 'integer', (c) => c.notNull())
    .addColumn('memory', 'integer', (c) => c.notNull())
    .addColumn('disk_size', 'integer', (c) => c.notNull())
    .addColumn('cpu_max', 'integer', (c) => c.notNull())
    .addColumn('memory_max', 'integer', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('runtime_functions_pk', ['runtime_id', 'role'])
    .execute();
  await sql`alter sequence runtime_vm_number_seq owned by runtime_functions.vm_number`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('runtime_functions').execute();
  await db.schema.dropTable('runtimes').execute();
  await db.schema.dropTable('runtime_templates').execute();
}
