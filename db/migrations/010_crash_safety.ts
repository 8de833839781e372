import { sql, type Kysely } from 'kysely';

/**
 * Crash safety of operation starts (lib/operations.ts, lib/process-lease.ts, api/idempotency.ts):
 * - `process_leases`: one row per API process; the process holds a session-level advisory lock
 *   on (LEASE_LOCK_CLASS, id) for its whole life, so anyone can tell at once whether it is alive;
 * - `operation_starts`: a start in progress (written before the workflow starts, deleted in the
 *   transaction that records its operation), so a start cut short by a crash is found and settled;
 * - `idempotency_keys.owner`: the process that holds a pending key (a retry takes over a dead one's).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('process_leases')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('operation_starts')
    .addColumn('token', 'uuid', (c) => c.primaryKey())
    .addColumn('owner', 'integer')
    /** The run needs rows written in the same transaction as its operations row (a create). */
    .addColumn('records', 'boolean', (c) => c.notNull())
    .addColumn('workflow_id', 'text')
    .addColumn('workflow_type', 'text')
    .addColumn('resource_type', 'text')
    .addColumn('resource_id', 'text')
    .addColumn('project_id', 'text')
    .addColumn('summary', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('claim_scope', 'text')
    .addColumn('claim_key', 'text')
    /** The answer a retry of the claim gets once the operation is recorded (operation id as a placeholder). */
    .addColumn('answer', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('operation_starts_owner_idx').on('operation_starts').columns(['owner', 'created_at']).execute();

  await db.schema.alterTable('idempotency_keys').addColumn('owner', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('owner').execute();
  await db.schema.dropTable('operation_starts').execute();
  await db.schema.dropTable('process_leases').execute();
}
