import type { ColumnType, Generated } from 'kysely';

/**
 * One mutation on any surface: who, which project, what (method, route template, resource), when,
 * the request id and the outcome status. Never bodies or credentials. Postgres refuses UPDATE,
 * DELETE and TRUNCATE on this table (migration 009), so the application can only append.
 */
export interface AuditLogTable {
  id: Generated<number>;
  occurred_at: ColumnType<Date, Date | string | undefined, never>;
  request_id: string;
  user_id: string | null;
  username: string | null;
  token_id: string | null;
  project_id: string | null;
  method: string;
  /** The route template that answered, e.g. `/v0/compute/instance/:n/start`. */
  route: string;
  /** The concrete path, without its query string. */
  path: string;
  /** The operation's resource (`instance/42`) when the request started one, else the path. */
  resource: string | null;
  operation_id: string | null;
  status: number;
  duration_ms: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
