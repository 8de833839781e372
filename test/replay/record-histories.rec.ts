import { writeFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
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

  await mkdir(historiesDir, { recursive: true });
  for (const f of await readdir(historiesDir)) if (f.endsWith('.json')) await rm(path.join(historiesDir, f));
  const seen = new Set<string>();
  for (const wf of executions) {
    const key = `${wf.type}.${wf.status.name.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const history = await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    await writeFile(path.join(historiesDir, `${key}.json`), historyToJSON(history) + '\n');
    console.log(`recorded ${key}`);
  }
}, 600_000);
