/**
 * When a run finds problems, what is needed to find their cause is gone once the platform stops
 * (a throwaway database, a temporary Temporal file). So before it stops, the run writes, for every
 * resource a problem names (the owner of a leaked object, the resource of a stuck operation, a row
 * left after the clean-up), its operations — type, status, reason — and each one's full workflow
 * history (JSON, replayable) into a directory, and prints a line per resource.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Cluster } from '../scale/cluster';
import type { OperationRecord } from './audit';

export async function gatherEvidence(cluster: Cluster, resources: string[], ops: Map<string, OperationRecord>, dir: string): Promise<string[]> {
  if (!resources.length) return [];
  await fs.mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for (const resource of [...new Set(resources)].slice(0, 40)) {
    const rows = await cluster.db
      .selectFrom('operations')
      .select(['id', 'workflow_id', 'run_id', 'workflow_type', 'created_at'])
      .where('resource_id', '=', resource)
      .orderBy('created_at')
      .execute();
    const story = rows.map((r) => {
      const op = ops.get(r.id);
      return `${r.workflow_type} ${op?.status ?? '?'}${op?.reason ? ` (${op.reason.slice(0, 120)})` : ''}`;
    });
    lines.push(`${resource}: ${story.length ? story.join(' → ') : 'no operation recorded'}`);
    for (const r of rows) {
      try {
        const history = await cluster.temporal.workflow.getHandle(r.workflow_id, r.run_id).fetchHistory();
        const file = path.join(dir, `${resource.replace(/[^A-Za-z0-9-]+/g, '_')}.${r.created_at.toISOString().replace(/[:.]/g, '')}.${r.workflow_type}.json`);
        await fs.writeFile(file, historyToJSON(history));
      } catch (err) {
        lines.push(`  (history of ${r.workflow_type} ${r.id} unavailable: ${err instanceof Error ? err.message : String(err)})`);
      }
    }
  }
  return lines;
}
