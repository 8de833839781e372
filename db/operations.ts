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

/**
 * Remembered answers to POSTs carrying an Idempotency-Key. `pending`: a request holds the key
 * (`owner` is its API process); `recorded`: its operation is recorded and `status`/`headers`/`body`
 * are the answer a retry gets should the request die (202 with the operation link); `done`: the answer.
 */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  state: 'pending' | 'recorded' | 'done';
  owner: number | null;
  status: number | null;
  headers: ColumnType<Record<string, string> | null, string | null, string | null>;
  body: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** An answer as the idempotency store keeps it. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A workflow start in progress (lib/operations.ts): written before the workflow starts, deleted in
 * the transaction that records its operation. One left behind by a process that died is settled by
 * recovery: the run it started is recorded (or, for a create whose rows never committed, given up).
 */
export interface OperationStartsTable {
  token: string;
  /** The process lease of the starter (lib/process-lease.ts); null for processes without one (workers). */
  owner: number | null;
  /** The run needs rows written in the transaction that records its operation (a create). */
  records: boolean;
  workflow_id: string | null;
  workflow_type: string | null;
  resource_type: string | null;
  resource_id: string | null;
  project_id: string | null;
  summary: string | null;
  created_by: string | null;
  claim_scope: string | null;
  claim_key: string | null;
  answer: ColumnType<StoredAnswer | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** API processes, each alive while it holds the advisory lock on its id (lib/process-lease.ts). */
export interface ProcessLeasesTable {
  id: Generated<number>;
  kind: string;
  host: string;
  pid: number;
  started_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface OperationTables {
  operations: OperationsTable;
  idempotency_keys: IdempotencyKeysTable;
  operation_starts: OperationStartsTable;
  process_leases: ProcessLeasesTable;
}
