import { sql, type Kysely } from 'kysely';

/**
 * What operators need: the append-only audit log, the event outbox (operation terminal states and
 * domain status changes) with its detector watermark, and webhook endpoints with their delivery log.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  // ---- audit log: append-only, enforced by Postgres (UPDATE, DELETE and TRUNCATE raise).
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid')
    .addColumn('username', 'text')
    .addColumn('token_id', 'uuid')
    .addColumn('project_id', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('operation_id', 'uuid')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_project_idx').on('audit_log').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('audit_log_user_idx').on('audit_log').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('audit_log_resource_idx').on('audit_log').columns(['resource', 'id']).execute();
  await db.schema.createIndex('audit_log_time_idx').on('audit_log').columns(['occurred_at']).execute();
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_log_no_update_delete before update or delete on audit_log
            for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
            for each statement execute function audit_log_append_only()`.execute(db);

  // ---- events: the outbox webhooks are dispatched from; `key` makes every producer idempotent.
  await db.schema
    .createTable('events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('operation_id', 'uuid')
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('dispatched_at', 'timestamptz')
    .execute();
  await sql`create index events_undispatched_idx on events (created_at) where dispatched_at is null`.execute(db);
  await db.schema
    .createTable('event_watermarks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('watermark', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // ---- webhooks
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('event_types', sql`text[]`, (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('webhook_endpoints_project_idx').on('webhook_endpoints').columns(['project_id', 'created_at']).execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('endpoint_id', 'uuid', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('events.id').onDelete('cascade'))
    /** 0 for the dispatcher's delivery; 1, 2, … for redeliveries on request. */
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('redelivery_of', 'uuid', (c) => c.references('webhook_deliveries.id').onDelete('set null'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`state in ('pending','succeeded','failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('completed_at', 'timestamptz')
    .addUniqueConstraint('webhook_deliveries_once', ['endpoint_id', 'event_id', 'seq'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'created_at']).execute();
  await db.schema
    .createTable('webhook_delivery_attempts')
    .addColumn('delivery_id', 'uuid', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_delivery_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['webhook_delivery_attempts', 'webhook_deliveries', 'webhook_endpoints', 'event_watermarks', 'events']) {
    await db.schema.dropTable(t).execute();
  }
  await sql`drop table audit_log`.execute(db); // DROP is not UPDATE/DELETE/TRUNCATE: the triggers go with it
  await sql`drop function audit_log_append_only()`.execute(db);
}
