import { writeFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/install-temporal';
import { afterAll, beforeAll, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { computeScenario } from './scenarios/compute';

/**
 * Re-records test/histories: runs each domain's scenario against a real stack, then saves one
 * history per workflow type and outcome. Run with `npm run record-histories`; commit the result
 * with a note on why a workflow's command sequence changed.
 */
const historiesDir = path.resolve(import.meta.dirname, '../histories');
const scenarios: Array<(stack: Stack) => Promise<void>> = [computeScenario];
try {
  // Optional domains register their scenario file beside this one.
  const runtimes = await import('./scenarios/runtimes' as string).catch(() => null);
  if (runtimes?.runtimesScenario) scenarios.push(runtimes.runtimesScenario);
} catch {
  // no runtimes scenario
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

it('records one history per workflow type and outcome', async () => {
  for (const scenario of scenarios) await scenario(stack);

  const query = `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`;
  // Visibility is eventually consistent: wait until every run the scenarios started is closed (or is a long-lived supervisor).
  const executions = await waitFor(async () => {
    const all = [];
    for await (const wf of stack.temporal.workflow.list({ query })) all.push(wf);
    const open = all.filter((wf) => wf.status.name === 'RUNNING' && !wf.type.startsWith('supervise'));
    return all.length && !open.length ? all : undefined;
  }, 60_000, 500);

  const cli = await ensureTemporalCli();
  const run = promisify(execFile);
  await mkdir(historiesDir, { recursive: true });
  for (const f of await readdir(historiesDir)) if (f.endsWith('.json')) await rm(path.join(historiesDir, f));
  const seen = new Set<string>();
  for (const wf of executions) {
    const key = `${wf.type}.${wf.status.name.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // The CLI writes the history in the JSON form historyFromJSON reads.
    const { stdout } = await run(cli, ['workflow', 'show', '--address', inject('temporalAddress'), '--workflow-id', wf.workflowId, '--run-id', wf.runId, '--output', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    // The workflow ID is kept: replay checks IDs a workflow derives from its own (child workflow IDs).
    const record = { workflowId: wf.workflowId, history: JSON.parse(stdout) };
    await writeFile(path.join(historiesDir, `${key}.json`), JSON.stringify(record) + '\n');
    console.log(`recorded ${key}`);
  }
}, 600_000);
