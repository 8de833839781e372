import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RecoveryStep } from '../activities/runtimes';
import { runtimeVmName, type SupervisorSettings } from '../lib/runtimes';
import type { RuntimeRole } from '../db/runtimes';
import { cloudWait, quickCall, recordCall } from './support/activity-options';
import { Progress } from './support/progress';
import { Saga, describeFailure, findApplicationFailure } from './support/saga';

/** Recovery steps retry little on their own: the recovery loop re-plans (the host may have gone down meanwhile). */
const recoveryCall: ActivityOptions = {
  ...quickCall,
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 3 },
};

const quick = proxyActivities<Activities>(quickCall);
const wait = proxyActivities<Activities>(cloudWait);
const recovery = proxyActivities<Activities>(recoveryCall);
const record = proxyLocalActivities<Activities>(recordCall);

export interface CreateRuntimeInput {
  runtimeId: number;
  roles: RuntimeRole[];
  supervisor: SupervisorSettings;
}

/** What a PUT changes: computed by the API from the stored and the requested spec. */
export interface RuntimeUpdatePlan {
  name?: string;
  functions: Array<{ role: RuntimeRole; cpu?: number; memory?: number; diskSize?: number }>;
  /** Present when SCHEDULING or DEVICE_INFO changed: both are replaced and the VMs rescheduled. */
  placement?: { scheduling: Record<string, unknown>; deviceInfo: Record<string, unknown> };
}

export interface UpdateRuntimeInput {
  runtimeId: number;
  roles: RuntimeRole[];
  plan: RuntimeUpdatePlan;
}

export interface RecoverRuntimeInput {
  runtimeId: number;
  supervisor: SupervisorSettings;
  /** Bounded retry plan: this many attempts, waiting retryDelayMs, then twice that, ... (at most 1 min). */
  attempts?: number;
  retryDelayMs?: number;
}

export interface DeleteRuntimeInput {
  runtimeId: number;
  roles: RuntimeRole[];
}

export interface SuperviseRuntimeInput {
  runtimeId: number;
  settings: SupervisorSettings;
  /** Recoveries started since the runtime was last seen healthy (carried across continue-as-new). */
  streak?: number;
  /** Runs of this supervisor so far (1 for the first). */
  run?: number;
}

const resourceOf = (runtimeId: number) => `runtime/${runtimeId}`;

/**
 * createRuntime's compensation also deletes a VM the cloud made whose id was never recorded (a
 * create whose answer was lost, then refused or cancelled; found by `npm run chaos`). Histories
 * recorded before it replay without the marker.
 */
const UNRECORDED_VM_PATCH = 'compensate-unrecorded-vm';

/** Deterministic per run and step: a retried or replayed step reuses it, so the cloud creates once. */
function clientToken(step: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}/${runId}/${step}`;
}

/** A workflow failure with the most specific type and message of the cause. */
function asFailure(err: unknown, fallbackType: string): unknown {
  if (isCancellation(err) || err instanceof ApplicationFailure) return err;
  return ApplicationFailure.create({
    message: describeFailure(err),
    type: findApplicationFailure(err)?.type ?? fallbackType,
    nonRetryable: true,
  });
}

/** Waits until the function's VM runs and has its address (a VM counts as ready only then). */
async function waitReady(role: RuntimeRole, vmId: string): Promise<void> {
  await wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} (${role}) to run` }, [vmId, ['running']]);
  await wait.waitForVmAddress.executeWithOptions({ ...cloudWait, summary: `Wait for an address on VM ${vmId}` }, [vmId]);
}

async function markRunning(runtimeId: number, role: RuntimeRole, retrying = false): Promise<void> {
  await (retrying ? recovery : quick).markRuntimeFunctionRunning.executeWithOptions(
    { ...(retrying ? recoveryCall : quickCall), summary: `Mark ${role} of runtime ${runtimeId} RUNNING` },
    [{ runtimeId, role }],
  );
}

/** Waits until the function is ready, then records RUNNING and the ENDPOINT. */
async function bringUp(runtimeId: number, role: RuntimeRole, vmId: string, retrying = false): Promise<void> {
  await waitReady(role, vmId);
  await markRunning(runtimeId, role, retrying);
}

async function powerOn(vmId: string, retrying = false): Promise<void> {
  await wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} to be built` }, [vmId, ['stopped', 'running']]);
  await (retrying ? recovery : quick).startRuntimeVm.executeWithOptions(
    { ...(retrying ? recoveryCall : quickCall), summary: `Power on VM ${vmId}` },
    [vmId],
  );
}

/**
 * Starts the runtime's supervisor beside this operation (it outlives it); one already running is
 * fine. Its ID comes from the input (not from this workflow's ID), so histories replay anywhere.
 */
async function ensureSupervisor(runtimeId: number, settings: SupervisorSettings): Promise<void> {
  const info = workflowInfo();
  try {
    await startChild(superviseRuntime, {
      workflowId: settings.workflowId,
      args: [{ runtimeId, settings }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Supervise serverless runtime ${runtimeId}: detect failed VMs and recover them`,
      typedSearchAttributes: info.typedSearchAttributes,
    });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  }
}

/**
 * Deploys a runtime: one VM per function (SR_AUTH and DEVICE_INFO in its context, SCHEDULING as
 * placement), each powered on and awaited until it runs with an address; then starts the
 * supervisor. A failed deploy deletes every VM it created and leaves the functions in ERROR.
 */
export async function createRuntime({ runtimeId, roles, supervisor }: CreateRuntimeInput): Promise<{ vmIds: string[] }> {
  const steps = roles.flatMap((r) => [`Create ${r} VM`, `Start ${r} VM`, `Wait until ${r} is ready`]);
  const progress = new Progress([...steps, 'Start supervisor', 'Mark running'], resourceOf(runtimeId));
  const saga = new Saga(progress);
  try {
    return await saga.run(async () => {
      // The roles deploy side by side; all branches settle before any compensation runs, so a
      // VM still being created by one branch is never missed by the other's failure.
      const outcomes = await Promise.allSettled(
        roles.map(async (role) => {
          saga.add(`Create ${role} VM`, async () => {
            // Asked before the local activity: its answer may come in a later workflow task than on
            // replay, and the marker must sit in the task that asked.
            const findUnrecordedVm = patched(UNRECORDED_VM_PATCH);
            const vmId = await record.runtimeVmId({ runtimeId, role });
            if (vmId) await wait.deleteVm.executeWithOptions({ ...cloudWait, summary: `Delete VM ${vmId} (${role})` }, [vmId]);
            else if (findUnrecordedVm) {
              // No id recorded: the create may still have made the VM (its answer lost, the retry refused or cancelled).
              const name = runtimeVmName(runtimeId, role);
              await wait.deleteMarkedVms.executeWithOptions({ ...cloudWait, summary: `Delete VM ${name} if the cloud made it` }, [
                { owner: resourceOf(runtimeId), name },
              ]);
            }
            await record.forgetRuntimeVm({ runtimeId, role });
          });
          const vmId = await progress.run(`Create ${role} VM`, () =>
            quick.createRuntimeVm.executeWithOptions({ ...quickCall, summary: `Create the ${role} VM of runtime ${runtimeId}` }, [
              { runtimeId, role, clientToken: clientToken(`vm-${role}`) },
            ]),
          );
          await progress.run(`Start ${role} VM`, () => powerOn(vmId));
          await progress.run(`Wait until ${role} is ready`, () => waitReady(role, vmId));
          return vmId;
        }),
      );
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      const vmIds = outcomes.map((o) => (o as PromiseFulfilledResult<string>).value);
      // The supervisor watches before the runtime reads RUNNING; the last step is the state change.
      saga.add('Start supervisor', () => quick.stopRuntimeSupervisor({ runtimeId }));
      await progress.run('Start supervisor', () => ensureSupervisor(runtimeId, supervisor));
      await progress.run('Mark running', async () => {
        for (const role of roles) await markRunning(runtimeId, role);
      });
      return { vmIds };
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() =>
      record.setRuntimeState({
        runtimeId,
        state: 'ERROR',
        error: isCancellation(err) ? 'Deployment cancelled' : `Deployment failed: ${describeFailure(err)}`,
      }),
    );
    throw err;
  }
}

/**
 * Applies the diff of a PUT: rename; CPU and MEMORY live resize; DISK resize; and, when
 * SCHEDULING or DEVICE_INFO changed, rescheduling onto the most suitable host.
 * RUNNING → UPDATING → RUNNING, or ERROR with the failure.
 */
export async function updateRuntime({ runtimeId, roles, plan }: UpdateRuntimeInput): Promise<{ state: 'RUNNING' }> {
  const progress = new Progress(
    ['Mark updating', 'Rename', 'Resize CPU and memory', 'Resize disk', 'Reschedule', 'Mark running'],
    resourceOf(runtimeId),
  );
  await progress.run('Mark updating', () => record.setRuntimeState({ runtimeId, state: 'UPDATING' }));
  try {
    const name = plan.name;
    if (name !== undefined) {
      await progress.run('Rename', () =>
        quick.renameRuntime.executeWithOptions({ ...quickCall, summary: `Rename runtime ${runtimeId} to "${name}"` }, [{ runtimeId, name }]),
      );
    } else progress.skip('Rename', 'NAME unchanged');

    const live = plan.functions.filter((f) => f.cpu !== undefined || f.memory !== undefined);
    if (live.length) {
      await progress.run('Resize CPU and memory', async () => {
        for (const f of live) {
          const vmId = await quick.resizeRuntimeVm.executeWithOptions(
            { ...quickCall, summary: `Resize ${f.role} of runtime ${runtimeId} to CPU ${f.cpu ?? '-'}, MEMORY ${f.memory ?? '-'}` },
            [{ runtimeId, role: f.role, cpu: f.cpu, memory: f.memory }],
          );
          await wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} to run` }, [vmId, ['running']]);
        }
      });
    } else progress.skip('Resize CPU and memory', 'CPU and MEMORY unchanged');

    const disks = plan.functions.filter((f) => f.diskSize !== undefined);
    if (disks.length) {
      await progress.run('Resize disk', async () => {
        for (const f of disks) {
          const vmId = await quick.resizeRuntimeVm.executeWithOptions(
            { ...quickCall, summary: `Resize the disk of ${f.role} of runtime ${runtimeId} to ${f.diskSize} MB` },
            [{ runtimeId, role: f.role, diskSize: f.diskSize }],
          );
          await wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} to run` }, [vmId, ['running']]);
        }
      });
    } else progress.skip('Resize disk', 'DISK_SIZE unchanged');

    const placement = plan.placement;
    if (placement) {
      await progress.run('Reschedule', async () => {
        await record.setRuntimePlacement({ runtimeId, scheduling: placement.scheduling, deviceInfo: placement.deviceInfo });
        for (const role of roles) {
          await quick.rescheduleRuntimeVm.executeWithOptions(
            { ...quickCall, summary: `Reschedule ${role} of runtime ${runtimeId} onto the most suitable host` },
            [{ runtimeId, role }],
          );
        }
      });
    } else progress.skip('Reschedule', 'SCHEDULING and DEVICE_INFO unchanged');

    await progress.run('Mark running', async () => {
      for (const role of roles) {
        const vmId = await record.runtimeVmId({ runtimeId, role });
        if (vmId) await bringUp(runtimeId, role, vmId);
      }
    });
    progress.completed();
    return { state: 'RUNNING' };
  } catch (err) {
    const message = isCancellation(err) ? 'cancelled' : describeFailure(err);
    progress.failed(message);
    await CancellationScope.nonCancellable(() =>
      record.setRuntimeState({ runtimeId, state: 'ERROR', error: `Update failed: ${message}`, from: ['UPDATING'] }),
    );
    throw asFailure(err, 'UpdateFailed');
  }
}

async function recoverFunction(runtimeId: number, step: RecoveryStep, attempt: number): Promise<void> {
  const { role, vmId } = step;
  switch (step.action) {
    case 'none':
      await recovery.markRuntimeFunctionRunning.executeWithOptions({ ...recoveryCall, summary: `Mark ${role} RUNNING (${step.reason})` }, [
        { runtimeId, role },
      ]);
      return;
    case 'reboot':
      await recovery.rebootRuntimeVm.executeWithOptions({ ...recoveryCall, summary: `Reboot VM ${vmId} (${role}) on its host` }, [vmId!]);
      return bringUp(runtimeId, role, vmId!, true);
    case 'migrate':
      await recovery.rescheduleRuntimeVm.executeWithOptions(
        { ...recoveryCall, summary: `Migrate VM ${vmId} (${role}) to a healthy host` },
        [{ runtimeId, role }],
      );
      await recovery.rebootRuntimeVm.executeWithOptions({ ...recoveryCall, summary: `Boot VM ${vmId} (${role}) on its new host` }, [vmId!]);
      return bringUp(runtimeId, role, vmId!, true);
    case 'start':
      await powerOn(vmId!, true);
      return bringUp(runtimeId, role, vmId!, true);
    case 'recreate': {
      const created = await recovery.createRuntimeVm.executeWithOptions(
        { ...recoveryCall, summary: `Recreate the ${role} VM of runtime ${runtimeId}` },
        [{ runtimeId, role, clientToken: clientToken(`vm-${role}-attempt-${attempt}`) }],
      );
      await powerOn(created, true);
      return bringUp(runtimeId, role, created, true);
    }
  }
}

/**
 * Brings a runtime in ERROR back to RUNNING, keeping its IDs: reboot on the same host when it is
 * up, else migrate to a healthy host (or recreate a VM that is gone). Bounded retries with
 * backoff; after the last attempt the functions stay in ERROR with the last error text.
 */
export async function recoverRuntime({
  runtimeId,
  supervisor,
  attempts = 5,
  retryDelayMs = 1000,
}: RecoverRuntimeInput): Promise<{ attempts: number; actions: Array<{ role: RuntimeRole; action: string }> }> {
  const progress = new Progress([], resourceOf(runtimeId));
  for (let attempt = 1; ; attempt++) {
    let failing: RuntimeRole[] | undefined;
    try {
      const plan = await progress.run(`Attempt ${attempt}: plan`, () =>
        quick.planRuntimeRecovery.executeWithOptions({ ...quickCall, summary: `Plan the recovery of runtime ${runtimeId}` }, [{ runtimeId }]),
      );
      failing = plan.filter((s) => s.action !== 'none').map((s) => s.role);
      for (const step of plan) {
        await progress.run(`Attempt ${attempt}: ${step.action} ${step.role}`, () => recoverFunction(runtimeId, step, attempt));
        progress.note(`Attempt ${attempt}: ${step.action} ${step.role}`, step.reason);
      }
      await progress.run('Ensure supervisor', () => ensureSupervisor(runtimeId, supervisor));
      progress.completed();
      return { attempts: attempt, actions: plan.map((s) => ({ role: s.role, action: s.action })) };
    } catch (err) {
      if (isCancellation(err)) {
        progress.failed('cancelled');
        throw err;
      }
      const message = describeFailure(err);
      await record.setRuntimeState({
        runtimeId,
        state: 'ERROR',
        error: `Recovery attempt ${attempt}/${attempts} failed: ${message}`,
        ...(failing?.length ? { roles: failing } : {}),
      });
      if (attempt >= attempts) {
        progress.failed(message);
        throw ApplicationFailure.create({ message: `recovery failed after ${attempts} attempts: ${message}`, type: 'RecoveryFailed', nonRetryable: true });
      }
      await sleep(Math.min(retryDelayMs * 2 ** (attempt - 1), 60_000));
    }
  }
}

/** Stops the supervisor, releases every VM, then forgets the runtime. */
export async function deleteRuntime({ runtimeId, roles }: DeleteRuntimeInput): Promise<{ deleted: true }> {
  const progress = new Progress(['Stop supervisor', ...roles.map((r) => `Delete ${r} VM`), 'Mark deleted'], resourceOf(runtimeId));
  await record.markRuntimeDeleting({ runtimeId });
  try {
    await progress.run('Stop supervisor', () => quick.stopRuntimeSupervisor({ runtimeId }));
    for (const role of roles) {
      const vmId = await record.runtimeVmId({ runtimeId, role });
      if (vmId) {
        await progress.run(`Delete ${role} VM`, () => wait.deleteVm.executeWithOptions({ ...cloudWait, summary: `Delete VM ${vmId} (${role})` }, [vmId]));
      } else progress.skip(`Delete ${role} VM`, 'no VM');
    }
    await progress.run('Mark deleted', () => record.recordRuntimeDeleted({ runtimeId }));
    progress.completed();
    return { deleted: true };
  } catch (err) {
    progress.failed(isCancellation(err) ? 'cancelled' : describeFailure(err));
    await CancellationScope.nonCancellable(() => record.markRuntimeActive({ runtimeId }));
    throw asFailure(err, 'DeleteFailed');
  }
}

/**
 * The runtime's failure detector: every `intervalMs` it checks each VM; a VM that crashed, was
 * lost with its host or vanished puts its function in ERROR, and the supervisor starts a
 * `recoverRuntime` operation like any client (waiting for the next tick when another operation
 * holds the runtime). At most `maxRecoveries` recoveries per failure streak, so a runtime that
 * cannot be recovered stays in ERROR. Ends when the runtime is deleted; continues as new to keep
 * its history short.
 */
export async function superviseRuntime({ runtimeId, settings, streak = 0, run = 1 }: SuperviseRuntimeInput): Promise<{ ended: string }> {
  const progress = new Progress(['Watch VMs'], resourceOf(runtimeId));
  progress.note('Watch VMs', `run ${run}`);
  for (let tick = 1; ; tick++) {
    const health = await quick.checkRuntimeHealth.executeWithOptions({ ...quickCall, summary: `Check the VMs of runtime ${runtimeId}` }, [
      { runtimeId },
    ]);
    if (health.gone) {
      progress.completed();
      return { ended: 'runtime deleted' };
    }
    if (health.healthy) streak = 0;
    if (health.failed.length) {
      const failures = health.failed.map((f) => `${f.role}: ${f.error}`).join('; ');
      if (streak < settings.maxRecoveries) {
        const started = await quick.startRuntimeRecovery.executeWithOptions(
          { ...quickCall, summary: `Start a recovery of runtime ${runtimeId} (${failures})` },
          [{ runtimeId, supervisor: settings }],
        );
        if (started === 'started') streak++;
        progress.note('Watch VMs', `run ${run}, tick ${tick}: ${failures}; recovery ${started}`);
      } else {
        progress.note('Watch VMs', `run ${run}, tick ${tick}: ${failures}; gave up after ${streak} recoveries (a PUT retries)`);
      }
    }
    await sleep(settings.intervalMs);
    if (tick >= settings.ticksPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof superviseRuntime>({ runtimeId, settings, streak, run: run + 1 });
    }
  }
}
