import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { runtimesScenario } from '../replay/scenarios/runtimes';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * Runs the recorder's runtimes scenario and replays every history it produced against the
 * current workflow bundle: the scenario covers each runtime workflow type and outcome.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

it('the runtimes scenario produces every runtime workflow type and outcome, and each history replays', async () => {
  await runtimesScenario(stack);
  const query = `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`;
  const executions = await waitFor(async () => {
    const all = [];
    for await (const wf of stack.temporal.workflow.list({ query })) all.push(wf);
    return all.length && !all.some((wf) => wf.status.name === 'RUNNING') ? all : undefined;
  }, 30_000, 200);
  const kinds = new Set(executions.map((wf) => `${wf.type}.${wf.status.name.toLowerCase()}`));
  expect([...kinds].sort()).toEqual(
    expect.arrayContaining([
      'createRuntime.completed',
      'createRuntime.failed',
      'updateRuntime.completed',
      'updateRuntime.failed',
      'recoverRuntime.completed',
      'recoverRuntime.failed',
      'deleteRuntime.completed',
      'superviseRuntime.continued_as_new',
      'superviseRuntime.canceled',
    ]),
  );
  const histories = await Promise.all(
    executions.map(async (wf) => ({
      workflowId: `${wf.workflowId}/${wf.runId}`,
      history: await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory(),
    })),
  );
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
}, 120_000);
