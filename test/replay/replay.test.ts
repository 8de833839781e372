import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import * as workflows from '../../workflows';

/**
 * Determinism guard: every committed history must replay against today's workflow code. A change
 * to a workflow's command sequence needs `patched()` or a re-recorded history with a reason.
 */
const historiesDir = path.resolve(import.meta.dirname, '../histories');
// Each replay starts and stops a worker; its state changes at INFO would be five log lines a history.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // installed already (this file shares its process with another)
}
const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();

describe('workflow replay', () => {
  it('has a recorded history for every workflow type', () => {
    const recorded = new Set(files.map((f) => f.split('.')[0]));
    const missing = Object.keys(workflows).filter((name) => typeof (workflows as Record<string, unknown>)[name] === 'function' && !recorded.has(name));
    expect(missing).toEqual([]);
  });

  it.each(files)('replays %s', async (file) => {
    const record = JSON.parse(await readFile(path.join(historiesDir, file), 'utf8'));
    // The worker parses the JSON history itself (its own protobuf instance).
    const history = record.history;
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, record.workflowId);
  });
});
