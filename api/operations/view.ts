import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Selectable } from 'kysely';
import type { OperationsTable } from '../../db/operations';
import type { OperationProgress } from '../../workflows/support/progress';
import { failureOf } from './await';

export type OperationStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'unknown';

export interface OperationView {
  id: string;
  status: OperationStatus;
  type: string;
  summary: string;
  resource: { type: string; id: string };
  projectId: string;
  phase: string | null;
  steps: OperationProgress['steps'];
  error: { type: string; message: string } | null;
  startedAt: string;
  endedAt: string | null;
  workflowId: string;
  runId: string;
  temporalUiUrl: string;
}

const STATUS: Record<string, OperationStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'completed',
};

export function temporalUiLink(uiBase: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** Status from Temporal's description, steps from the workflow's `progress` query, error from its failure. */
export async function viewOperation(
  temporal: Client,
  row: Selectable<OperationsTable>,
  ui: { baseUrl: string; namespace: string },
): Promise<OperationView> {
  const handle = temporal.workflow.getHandle(row.workflow_id, row.run_id);
  const [description, progress] = await Promise.all([
    handle.describe().catch(() => null),
    handle.query<OperationProgress>('progress').catch(() => null),
  ]);
  const status = description ? (STATUS[description.status.name] ?? 'unknown') : 'unknown';
  let error: OperationView['error'] = null;
  if (status === 'failed' || status === 'cancelled' || status === 'timed_out' || status === 'terminated') {
    error = await handle.result().then(
      () => null,
      (err) => (err instanceof WorkflowFailedError ? failureOf(err) : { type: 'Unknown', message: String(err?.message ?? err) }),
    );
  }
  const [resourceType] = row.resource_id.split('/');
  return {
    id: row.id,
    status,
    type: row.workflow_type,
    summary: row.summary,
    resource: { type: resourceType ?? row.resource_type, id: row.resource_id },
    projectId: row.project_id,
    phase: progress?.phase ?? null,
    steps: progress?.steps ?? [],
    error,
    startedAt: (description?.startTime ?? row.created_at).toISOString(),
    endedAt: description?.closeTime ? description.closeTime.toISOString() : null,
    workflowId: row.workflow_id,
    runId: row.run_id,
    temporalUiUrl: temporalUiLink(ui.baseUrl, ui.namespace, row.workflow_id, row.run_id),
  };
}
