import { writeFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/install-temporal';
import { afterAll, beforeAll, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { computeScenario } from './scenarios/compute';
import { runtimesScenario } from './scenarios/runtimes';
import { reliabilityScenario } from './scenarios/reliability';
import { appsScenario } from './scenarios/apps';
import { flavorsScenario } from './scenarios/flavors';
import { clustersScenario } from './scenarios/clusters';
import { webhooksScenario } from './scenarios/webhooks';

/**
 * Records test/histories: runs each domain's scenario against a real stack, then saves one
 * history per workflow type and outcome (`<type>.<outcome>.json`). Histories accumulate: an
 * existing file is never overwritten or deleted, because running workflows may still have that
 * history. After a workflow's command sequence changes (behind `patched()`), `HISTORY_TAG=<why>`
 * records the new shape beside the old as `<type>.<outcome>.<why>.json`.
 *
 *   npm run record-histories                                   # every domain
 *   HISTORY_SCENARIOS=apps,clusters npm run record-histories   # some domains
 */
const historiesDir = path.resolve(import.meta.dirname, '../histories');
const allScenarios: Record<string, (stack: Stack) => Promise<void>> = {
  compute: computeScenario,
  runtimes: runtimesScenario,
  reliability: reliabilityScenario,
  apps: appsScenario,
  flavors: flavorsScenario,
  clusters: clustersScenario,
  webhooks: webhooksScenario,
};
const only = process.env.HISTORY_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const scenarios = Object.entries(allScenarios).filter(([name]) => !only || only.includes(name));
const tag = process.env.HISTORY_TAG?.replace(/[^a-z0-9-]/gi, '-');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

it('records one history per workflow type and outcome', async () => {
  for (const [, scenario] of scenarios) await scenario(stack);

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
  const existing = new Set(await readdir(historiesDir));
  const seen = new Set<string>();
  for (const wf of executions) {
    const key = `${wf.type}.${wf.status.name.toLowerCase()}${tag ? `.${tag}` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (existing.has(`${key}.json`)) continue; // never overwrite: it may be the history of running workflows
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
