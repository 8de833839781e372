import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: Stack;
let kahu: KahuSession;
const workers: ChildProcess[] = [];

/** The production worker entry point as its own process, so the test can kill it like a crash would. */
function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  kahu = await kahuSession(stack);
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await stack?.stop();
});

it('a worker killed in the middle of a create is replaced and the create completes with exactly one VM', async () => {
  // Hold the VM create in flight long enough to kill the worker while it waits for the reply.
  await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, latencyMs: 1500 });
  const first = startWorkerProcess();
  const res = await kahu.post(
    '/v0/compute/instance/',
    { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'survivor' },
    { prefer: 'respond-async' },
  );
  expect(res.status).toBe(202);
  const { operation } = await res.json();
  const platform = platformClient(stack);
  await waitFor(
    async () => {
      const op = await (await platform.get(operation)).json();
      return op.steps.find((s: { name: string; state: string }) => s.name === 'Allocate VM')?.state === 'running' ? true : undefined;
    },
    60_000,
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await stack.cloud.clearFaults();

  startWorkerProcess();
  const final = await waitFor(
    async () => {
      const op = await (await platform.get(operation)).json();
      return op.status === 'running' ? undefined : op;
    },
    90_000,
    250,
  );
  expect(final.status).toBe('completed');
  expect((await (await kahu.get(res.headers.get('location')!)).json()).state).toBe('stopped');
  const vms = (await stack.cloud.listVms()).filter((vm) => vm.name === 'survivor' && vm.state !== 'deleted');
  expect(vms).toHaveLength(1);
}, 150_000);
