import type { ApiClient } from './client';
import { CliError, EXIT } from './errors';
import type { Output } from './output';

interface Step {
  name: string;
  state: string;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
}

export interface OperationView {
  id: string;
  status: string;
  type: string;
  summary: string;
  phase: string | null;
  steps: Step[];
  error: { type: string; message: string } | null;
  startedAt: string;
  endedAt: string | null;
}

const ICON: Record<string, string> = { completed: '✓', running: '▸', failed: '✗', compensated: '↶', skipped: '–', pending: '·' };
const DONE = new Set(['completed', 'skipped', 'compensated', 'failed']);
const BAR_WIDTH = 24;

const seconds = (from: string, to?: string | null) => ((Date.parse(to ?? new Date().toISOString()) - Date.parse(from)) / 1000).toFixed(1);

/** The operation id in `<id>` or a `/v1/operations/<id>` link. */
export function operationIdFrom(ref: string): string {
  const id = ref.trim().split('/').filter(Boolean).pop() ?? '';
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new CliError(`"${ref}" is not an operation id or /v1/operations/<id> link`, EXIT.usage);
  return id;
}

/** The lines drawn for an operation: a bar over its steps, then one line per step. */
export function renderProgress(op: OperationView): string[] {
  const total = Math.max(op.steps.length, 1);
  const done = op.steps.filter((s) => DONE.has(s.state)).length;
  const filled = op.status === 'completed' ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
  const lines = [`${op.summary}  (${op.type} ${op.id})`, `${bar} ${done}/${op.steps.length} steps  ${op.status}  ${seconds(op.startedAt, op.endedAt)}s`];
  for (const s of op.steps) {
    const took = s.startedAt && s.endedAt ? `  ${seconds(s.startedAt, s.endedAt)}s` : s.state === 'running' ? '  …' : '';
    lines.push(`  ${ICON[s.state] ?? '?'} ${s.name}${took}${s.detail && s.state !== 'completed' ? `  (${s.detail})` : ''}`);
  }
  return lines;
}

/** What `watch` ends with: exit 0 when the operation completed, 1 otherwise. */
export function outcomeLine(op: OperationView): string {
  if (op.status === 'completed') return `completed in ${seconds(op.startedAt, op.endedAt)}s`;
  return `${op.status}${op.error ? `: ${op.error.type}: ${op.error.message}` : ''}`;
}

/**
 * Follows an operation until it ends, redrawing its progress from GET /v1/operations/{id}: in place
 * on a terminal, as one line per change otherwise. Resolves with the final view.
 */
export async function watchOperation(client: ApiClient, out: Output, ref: string, { intervalMs = 500, quiet = false } = {}): Promise<OperationView> {
  const id = operationIdFrom(ref);
  const tty = !quiet && !out.json && process.stdout.isTTY;
  let drawn = 0;
  const printed = new Set<string>();
  for (;;) {
    const op = (await client.get<OperationView>(`/v1/operations/${id}`)).body;
    const lines = renderProgress(op);
    if (tty) {
      process.stdout.write((drawn ? `\x1b[${drawn}F\x1b[J` : '') + lines.join('\n') + '\n');
      drawn = lines.length;
    } else if (!out.json && !quiet) {
      // One line per step change, plus the header once: readable in logs.
      if (!printed.size) out.print(lines[0]!);
      for (const s of op.steps) {
        const key = `${s.name}:${s.state}`;
        if (printed.has(key) || s.state === 'pending') continue;
        printed.add(key);
        out.print(`  ${ICON[s.state] ?? '?'} ${s.name} ${s.state}${s.detail && s.state !== 'completed' ? ` (${s.detail})` : ''}`);
      }
      printed.add('#');
    }
    if (op.status !== 'running') {
      if (quiet) return op;
      if (out.json) out.data(op);
      else out.print(outcomeLine(op));
      return op;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The exit status of a watched operation. */
export const exitOf = (op: OperationView) => (op.status === 'completed' ? EXIT.ok : EXIT.failed);
