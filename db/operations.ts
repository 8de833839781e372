import type { ColumnType, Generated } from 'kysely';

/** An operation is one workflow run; status and steps are read from Temporal, this row indexes it. */
export interface OperationsTable {
  id: Generated<string>;
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  resource_type: string;
  resource_id: string;
  project_id: string;
  summary: string;
  created_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** Remembered answers to POSTs carrying an Idempotency-Key. */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  state: 'pending' | 'done';
  status: number | null;
  headers: ColumnType<Record<string, string> | null, string | null, string | null>;
  body: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface OperationTables {
  operations: OperationsTable;
  idempotency_keys: IdempotencyKeysTable;
}
