import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { freePort, spawnManaged, tsxCommand, waitUntil, type ManagedProcess } from '../../scripts/processes';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * SIGTERM, as Kubernetes and Compose stop a pod: the API drains the requests in flight; a worker
 * lets its running activities finish within SHUTDOWN_GRACE_MS, and hands back (to Temporal, for
 * another worker) those that would outlive it. The production entry points run as processes.
 */
let stack: Stack;
let kahu: KahuSession;
const children: ManagedProcess[] = [];

/** simcloud takes this long for each VM transition: long enough to SIGTERM a worker mid-wait. */
const TRANSITION_MS = 3000;
/**
 * The grace period of the worker that must finish its activity: longer than that activity. (Its
 * waits on the cloud are handed back at once, but the event pump is held until the grace period
 * ends, so the worker stops after about this long.)
 */
const FINISH_GRACE_MS = 10_000;
/** How long the VM create takes in the worker test: a single call, not a poll, that must finish in the grace period. */
const SLOW_CREATE_MS = 3000;
/** The grace period of the worker that must hand its activity back: far shorter than a transition. */
const HANDBACK_GRACE_MS = 500;

beforeAll(async () => {
  stack = await startStack({ noWorker: true, simcloud: { transitionMs: TRANSITION_MS, jitterMs: 0 } });
  kahu = await kahuSession(stack);
});
afterEach(async () => {
  await stack.cloud.clearFaults();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(2_000, 'SIGKILL')));
  await stack?.stop();
});

/**
 * The worker processes of the file, started as few times as possible (each takes seconds): the
 * first serves the API test and is the victim of the second test; the second, with a short grace
 * period, finishes that test's operation and is the victim of the third.
 */
let worker: ManagedProcess;

function start(entry: string, env: Record<string, string>): ManagedProcess {
  const [command, args] = tsxCommand(entry);
  const child = spawnManaged(entry, command, args, {
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', ...env },
    onLine: () => {},
  });
  children.push(child);
  return child;
}

async function pollers(): Promise<number> {
  const res = await stack.temporal.workflowService.describeTaskQueue({
    namespace: stack.config.TEMPORAL_NAMESPACE,
    taskQueue: { name: stack.config.TEMPORAL_TASK_QUEUE },
  });
  return new Set((res.pollers ?? []).map((p) => p.identity)).size;
}

/** A worker process with a grace period; resolves once it polls. */
async function startWorker(graceMs: number): Promise<ManagedProcess> {
  const before = await pollers();
  const worker = start('worker/main.ts', { SHUTDOWN_GRACE_MS: String(graceMs) });
  await waitUntil(async () => !worker.hasExited() && (await pollers()) > before, { timeoutMs: 90_000, what: 'the worker to poll' });
  return worker;
}

/** Creates an instance (respond-async) and returns its path and operation. */
async function createInstance(name: string) {
  const res = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name }, { prefer: 'respond-async' });
  expect(res.status).toBe(202);
  return { location: res.headers.get('location')!, operation: (await res.json()).operation as string };
}

async function operation(link: string) {
  return (await (await platformClient(stack).get(link)).json()) as { status: string; steps: Array<{ name: string; state: string }>; workflowId: string; runId: string };
}

const stepState = async (link: string, step: string) => (await operation(link)).steps.find((s) => s.name === step)?.state;

/** The failure type of the attempt before the one that completed, per activity type (read with activityAttempts). */
const handBacks = new Map<string, string>();

/** Attempts of each activity type in a run's history, as Temporal recorded them, and whether it completed. */
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

function activityAttempts(history: History): Map<string, { attempt: number; completed: boolean }[]> {
  const scheduled = new Map<string, string>();
  const started = new Map<string, { type: string; attempt: number }>();
  const out = new Map<string, { attempt: number; completed: boolean }[]>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType!.name!);
    if (e.activityTaskStartedEventAttributes) {
      const sid = String(e.activityTaskStartedEventAttributes.scheduledEventId);
      started.set(sid, { type: scheduled.get(sid)!, attempt: e.activityTaskStartedEventAttributes.attempt ?? 1 });
      const lastFailure = e.activityTaskStartedEventAttributes.lastFailure;
      if (lastFailure) handBacks.set(scheduled.get(sid)!, lastFailure.applicationFailureInfo?.type ?? lastFailure.message ?? '?');
    }
    if (e.activityTaskCompletedEventAttributes) {
      const s = started.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId))!;
      out.set(s.type, [...(out.get(s.type) ?? []), { attempt: s.attempt, completed: true }]);
    }
  }
  return out;
}

it('the API answers the requests in flight after SIGTERM, turns new ones away with 503, then exits', async () => {
  worker = await startWorker(FINISH_GRACE_MS);
  const port = await freePort();
  const api = start('api/server.ts', { PORT: String(port), SHUTDOWN_GRACE_MS: '30000' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 90_000, what: 'the API to be ready' });

  const { location, operation: created } = await createInstance('drained');
  await waitFor(async () => ((await operation(created)).status === 'completed' ? true : undefined), 60_000, 200);

  // A synchronous start (it answers once the VM runs, one simcloud transition later) in flight.
  const slow = fetch(`${url}${location}start`, { method: 'POST', headers: { cookie: kahu.cookie } });
  await waitFor(async () => {
    const op = await stack.db.selectFrom('operations').select('id').where('workflow_type', '=', 'startInstance').executeTakeFirst();
    return op ? true : undefined;
  }, 30_000, 50);

  process.kill(api.pid, 'SIGTERM');
  await waitFor(async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 503 ? true : undefined), 10_000, 50);
  const refused = await fetch(`${url}/v1/me`, { headers: { authorization: 'Basic ' + Buffer.from('admin:admin').toString('base64') } });
  expect(refused.status).toBe(503);
  expect(await refused.json()).toMatchObject({ error: 'shutting_down' });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);

  const answer = await slow;
  expect(api.hasExited()).toBe(false); // it waited for this answer
  expect(answer.status).toBe(200);
  expect(await answer.json()).toMatchObject({ message: 'instance started' });
  expect(await api.exited).toEqual({ code: 0, signal: null });
}, 150_000);

it('the API ends synchronous waits before its grace period runs out: 202 with the operation link, then it exits', async () => {
  const port = await freePort();
  // A grace period shorter than the start (one simcloud transition, 3 s).
  const api = start('api/server.ts', { PORT: String(port), SHUTDOWN_GRACE_MS: '1500' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 90_000, what: 'the API to be ready' });
  const { location, operation: created } = await createInstance('cut-short');
  await waitFor(async () => ((await operation(created)).status === 'completed' ? true : undefined), 60_000, 200);

  const slow = fetch(`${url}${location}start`, { method: 'POST', headers: { cookie: kahu.cookie } });
  await waitFor(async () => {
    const resource = `instance/${location.match(/instance\/(\d+)/)![1]}`;
    const op = await stack.db.selectFrom('operations').select('id').where('workflow_type', '=', 'startInstance').where('resource_id', '=', resource).executeTakeFirst();
    return op ? true : undefined;
  }, 30_000, 50);
  process.kill(api.pid, 'SIGTERM');

  const answer = await slow;
  expect(answer.status).toBe(202);
  const body = (await answer.json()) as { message: string; operation: string };
  expect(body).toMatchObject({ message: 'instance starting', operation: expect.stringMatching(/^\/v1\/operations\//) });
  expect(answer.headers.get('operation-location')).toBe(body.operation);
  expect(await api.exited).toEqual({ code: 0, signal: null });
  // The operation goes on without the API that started it.
  await waitFor(async () => ((await operation(body.operation)).status === 'completed' ? true : undefined), 60_000, 200);
}, 150_000);

it('a worker on SIGTERM finishes the activity in flight within the grace period, then exits', async () => {
  // The VM create (one call to the cloud, not a wait) takes 3 s: SIGTERM the worker in the middle of it.
  await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, latencyMs: SLOW_CREATE_MS });
  const { operation: link } = await createInstance('finished');
  await waitFor(async () => ((await stepState(link, 'Allocate VM')) === 'running' ? true : undefined), 60_000, 100);
  process.kill(worker.pid, 'SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  await stack.cloud.clearFaults();

  // With no worker running, the history already shows the create completed by that worker, first try.
  const { workflowId, runId } = await operation(link);
  const history = await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  expect(activityAttempts(history).get('createInstanceVm')).toEqual([{ attempt: 1, completed: true }]);

  worker = await startWorker(HANDBACK_GRACE_MS);
  await waitFor(async () => ((await operation(link)).status === 'completed' ? true : undefined), 60_000, 200);
}, 150_000);

it('a worker on SIGTERM hands an activity that outlives the grace period back to Temporal, and another worker finishes it', async () => {
  const { location, operation: link } = await createInstance('handed-back');
  await waitFor(async () => ((await stepState(link, 'Build VM')) === 'running' ? true : undefined), 60_000, 100);
  const signalled = Date.now();
  process.kill(worker.pid, 'SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  // Well before the SDK's force time (grace + 5 s): the wait was cancelled, not sat out.
  expect(Date.now() - signalled).toBeLessThan(HANDBACK_GRACE_MS + 5_000);

  await startWorker(30_000);
  await waitFor(async () => ((await operation(link)).status === 'completed' ? true : undefined), 60_000, 200);
  const { workflowId, runId } = await operation(link);
  const history = await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  // The first attempt was handed back as soon as the worker began to drain (not cancelled at the
  // end of its grace period); the second, on the new worker, completed.
  expect(activityAttempts(history).get('waitForVm')).toEqual([{ attempt: 2, completed: true }]);
  expect(handBacks.get('waitForVm')).toBe('WorkerDraining');
  expect((await (await kahu.get(location)).json()).state).toBe('stopped');
  const vms = [...(await stack.cloud.listVms()), ...(await stack.cloud.listVms({ state: 'deleted' }))].filter((vm) => vm.name === 'handed-back');
  expect(vms).toHaveLength(1);
}, 150_000);
