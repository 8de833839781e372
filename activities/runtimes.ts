import { ApplicationFailure } from '@temporalio/common';
import { CloudError, type Vm } from '../cloud/contract';
import { SR_AUTH_PURPOSE, placementOf, type RuntimeFunctionState, type RuntimeRole } from '../db/runtimes';
import { secretKey } from '../lib/config';
import { ownerMark } from '../lib/inventory';
import { openSecret } from '../lib/secrets';
import { runtimeVmName, supervisorWorkflowId, type SupervisorSettings } from '../lib/runtimes';
import { recoverRuntime } from '../workflows/runtimes';
import type { ActivityDeps } from './deps';
import { cloudCall, existingVm } from './support/cloud-errors';
import { awaitRecorded } from './support/records';
import { cancelIfRunning, startUnlessBusy } from './support/watchers';

export interface RuntimeRef {
  runtimeId: number;
}
export interface RuntimeFunctionRef extends RuntimeRef {
  role: RuntimeRole;
}

export type RecoveryAction = 'none' | 'reboot' | 'migrate' | 'recreate' | 'start';

export interface RecoveryStep {
  role: RuntimeRole;
  action: RecoveryAction;
  vmId: string | null;
  reason: string;
}

export interface RuntimeHealth {
  /** The runtime was deleted (or is being deleted): the supervisor ends. */
  gone: boolean;
  /** Every function RUNNING on a running VM. */
  healthy: boolean;
  /** Functions whose VM crashed, was lost with its host, or vanished. */
  failed: Array<{ role: RuntimeRole; error: string }>;
}

/** The seed's ENDPOINT: external IP, else IPv6, else IP, else "". */
export const endpointOf = (vm: Pick<Vm, 'addresses'>): string => vm.addresses.external ?? vm.addresses.ipv6 ?? vm.addresses.ipv4 ?? '';

const nowDate = () => new Date();

/** Serverless runtime (Provision Engine) side effects: runtime rows in Postgres and their VMs. */
export function createRuntimeActivities(deps: ActivityDeps) {
  const { db, cloud, config } = deps;

  async function runtimeRow(runtimeId: number) {
    const row = await db.selectFrom('runtimes').selectAll().where('id', '=', runtimeId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`serverless runtime ${runtimeId} does not exist`, 'NotFound');
    return row;
  }

  async function functionRow(runtimeId: number, role: RuntimeRole) {
    const row = await db
      .selectFrom('runtime_functions')
      .selectAll()
      .where('runtime_id', '=', runtimeId)
      .where('role', '=', role)
      .executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`serverless runtime ${runtimeId} has no ${role}`, 'NotFound');
    return row;
  }

  async function vmOrNull(vmId: string | null): Promise<Vm | null> {
    return vmId ? existingVm(cloud, vmId) : null;
  }

  async function setFunction(runtimeId: number, role: RuntimeRole, values: Record<string, unknown>) {
    await db
      .updateTable('runtime_functions')
      .set({ ...values, updated_at: nowDate() })
      .where('runtime_id', '=', runtimeId)
      .where('role', '=', role)
      .execute();
  }

  /** The VM context: SR_AUTH (resolved here, never in workflow history) and DEVICE_INFO. */
  async function contextOf(runtimeId: number): Promise<Record<string, string>> {
    const row = await runtimeRow(runtimeId);
    return {
      SR_AUTH: openSecret(row.auth_sealed, secretKey(config), SR_AUTH_PURPOSE),
      SERVERLESS_RUNTIME_ID: String(row.id),
      ...deviceContext(row.device_info ?? {}),
      // The mark the orphan sweeper knows the platform's VMs by (lib/inventory.ts).
      ...ownerMark(config.WORKFLOW_ID_PREFIX, { resourceType: 'runtime', resourceId: String(row.id), projectId: row.project_id }),
    };
  }

  return {
    /** The roles (FAAS, then DAAS) this runtime has. */
    async runtimeRoles({ runtimeId }: RuntimeRef): Promise<RuntimeRole[]> {
      const rows = await db.selectFrom('runtime_functions').select('role').where('runtime_id', '=', runtimeId).execute();
      return rows.map((r) => r.role).sort((a, b) => (a === b ? 0 : a === 'FAAS' ? -1 : 1));
    },

    /**
     * Creates the function's VM with the caller's SR_AUTH and DEVICE_INFO in its context and
     * SCHEDULING as placement. The client token makes a retry return the VM created the first time.
     */
    async createRuntimeVm({ runtimeId, role, clientToken }: RuntimeFunctionRef & { clientToken: string }): Promise<string> {
      // The first step of a create: its rows may commit a moment after the run starts (support/records.ts).
      const row = await awaitRecorded(deps, () => db.selectFrom('runtimes').selectAll().where('id', '=', runtimeId).executeTakeFirst(), `serverless runtime ${runtimeId}`);
      const fn = await functionRow(runtimeId, role);
      const { requirements, rank } = placementOf(row.scheduling ?? {});
      const context = await contextOf(runtimeId);
      const vm = await cloudCall(() =>
        cloud.createVm({
          clientToken,
          name: runtimeVmName(runtimeId, role),
          cpu: fn.cpu,
          memoryMb: fn.memory,
          diskMb: fn.disk_size,
          requirements,
          ...(rank ? { rank } : {}),
          context,
        }),
      );
      await setFunction(runtimeId, role, { cloud_vm_id: vm.id, host_id: vm.hostId, endpoint: '' });
      return vm.id;
    },

    async runtimeVmId({ runtimeId, role }: RuntimeFunctionRef): Promise<string | null> {
      return (await functionRow(runtimeId, role)).cloud_vm_id;
    },

    /** Powers on a built or stopped VM (idempotent when it already runs). */
    async startRuntimeVm(vmId: string): Promise<void> {
      await cloudCall(() => cloud.startVm(vmId));
    },

    /** Restarts a crashed VM on its host. */
    async rebootRuntimeVm(vmId: string): Promise<void> {
      await cloudCall(() => cloud.rebootVm(vmId));
    },

    /** Compensation: the VM is gone; the function no longer points at it. */
    async forgetRuntimeVm({ runtimeId, role }: RuntimeFunctionRef): Promise<void> {
      await setFunction(runtimeId, role, { cloud_vm_id: null, host_id: null, endpoint: '' });
    },

    /** The function reports ready: RUNNING, with the endpoint from the VM's addresses. */
    async markRuntimeFunctionRunning({ runtimeId, role }: RuntimeFunctionRef): Promise<{ endpoint: string; hostId: string }> {
      const fn = await functionRow(runtimeId, role);
      const vm = await cloudCall(() => cloud.getVm(fn.cloud_vm_id!));
      if (vm.state !== 'running') throw ApplicationFailure.nonRetryable(`VM ${vm.id} is ${vm.state}, not running`, 'VmFailed');
      const endpoint = endpointOf(vm);
      await setFunction(runtimeId, role, { state: 'RUNNING', error: null, endpoint, host_id: vm.hostId });
      return { endpoint, hostId: vm.hostId };
    },

    /** Sets the state of some (default: all) functions; `from` guards against overwriting a newer state. */
    async setRuntimeState({
      runtimeId,
      state,
      error,
      roles,
      from,
    }: RuntimeRef & { state: RuntimeFunctionState; error?: string | null; roles?: RuntimeRole[]; from?: RuntimeFunctionState[] }): Promise<number> {
      let q = db
        .updateTable('runtime_functions')
        .set({ state, error: state === 'ERROR' ? (error ?? 'failed') : null, updated_at: nowDate() })
        .where('runtime_id', '=', runtimeId);
      if (roles) q = q.where('role', 'in', roles);
      if (from) q = q.where('state', 'in', from);
      return Number((await q.executeTakeFirst()).numUpdatedRows);
    },

    /** Renames the runtime and its VMs. */
    async renameRuntime({ runtimeId, name }: RuntimeRef & { name: string }): Promise<void> {
      const fns = await db.selectFrom('runtime_functions').select(['role', 'cloud_vm_id']).where('runtime_id', '=', runtimeId).execute();
      for (const fn of fns) {
        if (fn.cloud_vm_id) await cloudCall(() => cloud.updateVm(fn.cloud_vm_id!, { name: `${name} (${fn.role})`.slice(0, 255) }));
      }
      await db.updateTable('runtimes').set({ name, updated_at: nowDate() }).where('id', '=', runtimeId).execute();
    },

    /** Live resize of CPU and memory, or a disk resize; the stored capacity follows the VM. */
    async resizeRuntimeVm({
      runtimeId,
      role,
      cpu,
      memory,
      diskSize,
    }: RuntimeFunctionRef & { cpu?: number; memory?: number; diskSize?: number }): Promise<string> {
      const fn = await functionRow(runtimeId, role);
      if (!fn.cloud_vm_id) throw ApplicationFailure.nonRetryable(`${role} of runtime ${runtimeId} has no VM`, 'NotFound');
      const vm = await cloudCall(() =>
        cloud.updateVm(fn.cloud_vm_id!, {
          ...(cpu !== undefined ? { cpu } : {}),
          ...(memory !== undefined ? { memoryMb: memory } : {}),
          ...(diskSize !== undefined ? { diskMb: diskSize } : {}),
        }),
      );
      await setFunction(runtimeId, role, { cpu: vm.cpu, memory: vm.memoryMb, disk_size: vm.diskMb });
      return vm.id;
    },

    /** Stores the new SCHEDULING and DEVICE_INFO; the VMs are moved by rescheduleRuntimeVm. */
    async setRuntimePlacement({
      runtimeId,
      scheduling,
      deviceInfo,
    }: RuntimeRef & { scheduling?: Record<string, unknown>; deviceInfo?: Record<string, unknown> }): Promise<void> {
      await db
        .updateTable('runtimes')
        .set({
          ...(scheduling ? { scheduling: JSON.stringify(scheduling) } : {}),
          ...(deviceInfo ? { device_info: JSON.stringify(deviceInfo) } : {}),
          updated_at: nowDate(),
        })
        .where('id', '=', runtimeId)
        .execute();
    },

    /**
     * Moves the function's VM to the most suitable other host for the runtime's SCHEDULING (a
     * live migration of a running VM, or a cold one of a crashed VM whose host is down), and
     * refreshes DEVICE_INFO in its context. When no other host fits but the current one does,
     * the VM stays where it is.
     */
    async rescheduleRuntimeVm({ runtimeId, role }: RuntimeFunctionRef): Promise<{ hostId: string; moved: boolean }> {
      const row = await runtimeRow(runtimeId);
      const fn = await functionRow(runtimeId, role);
      if (!fn.cloud_vm_id) throw ApplicationFailure.nonRetryable(`${role} of runtime ${runtimeId} has no VM`, 'NotFound');
      const { requirements, rank } = placementOf(row.scheduling ?? {});
      const before = await cloudCall(() => cloud.getVm(fn.cloud_vm_id!));
      let vm: Vm;
      try {
        vm = await cloud.migrateVm(fn.cloud_vm_id, { requirements, ...(rank ? { rank } : {}) });
      } catch (err) {
        if (!(err instanceof CloudError && err.code === 'capacity')) return await cloudCall<never>(() => Promise.reject(err));
        const host = await cloudCall(() => cloud.getHost(before.hostId));
        const fits = host.state === 'up' && Object.entries(requirements).every(([k, v]) => host.labels[k] === v);
        if (!fits) throw ApplicationFailure.nonRetryable(err.message, 'CapacityError');
        vm = before;
      }
      await cloudCall(() => cloud.updateVm(vm.id, { context: deviceContext(row.device_info ?? {}) }));
      await setFunction(runtimeId, role, { host_id: vm.hostId });
      return { hostId: vm.hostId, moved: vm.hostId !== before.hostId };
    },

    /**
     * Decides how to bring each function back: reboot on its host when the host is up, migrate
     * to a healthy host when it is down, recreate when the VM is gone, start when it was stopped.
     */
    async planRuntimeRecovery({ runtimeId }: RuntimeRef): Promise<RecoveryStep[]> {
      const fns = await db.selectFrom('runtime_functions').selectAll().where('runtime_id', '=', runtimeId).orderBy('role', 'desc').execute();
      const steps: RecoveryStep[] = [];
      for (const fn of fns) {
        const vm = await vmOrNull(fn.cloud_vm_id);
        if (!vm) {
          steps.push({ role: fn.role, action: 'recreate', vmId: null, reason: fn.cloud_vm_id ? `VM ${fn.cloud_vm_id} is gone` : 'no VM' });
          continue;
        }
        switch (vm.state) {
          case 'running':
            steps.push({ role: fn.role, action: 'none', vmId: vm.id, reason: 'VM is running' });
            break;
          case 'error': {
            const host = await cloudCall(() => cloud.getHost(vm.hostId));
            steps.push(
              host.state === 'up'
                ? { role: fn.role, action: 'reboot', vmId: vm.id, reason: `${vm.error ?? 'VM failed'}; host ${host.name} is up` }
                : { role: fn.role, action: 'migrate', vmId: vm.id, reason: `${vm.error ?? 'VM failed'}; host ${host.name} is down` },
            );
            break;
          }
          default:
            // building, stopped, starting or stopping: (wait and) power it on.
            steps.push({ role: fn.role, action: 'start', vmId: vm.id, reason: `VM is ${vm.state}` });
        }
      }
      return steps;
    },

    /** Supervisor probe: marks RUNNING functions whose VM failed as ERROR (with the cloud's error text). */
    async checkRuntimeHealth({ runtimeId }: RuntimeRef): Promise<RuntimeHealth> {
      const row = await db.selectFrom('runtimes').select(['status', 'deleted_at']).where('id', '=', runtimeId).executeTakeFirst();
      if (!row || row.deleted_at || row.status !== 'active') return { gone: true, healthy: false, failed: [] };
      const fns = await db.selectFrom('runtime_functions').selectAll().where('runtime_id', '=', runtimeId).execute();
      const failed: RuntimeHealth['failed'] = [];
      let healthy = true;
      for (const fn of fns) {
        if (fn.state !== 'RUNNING') healthy = false;
        if (fn.state === 'PENDING') continue; // still being deployed by its operation
        const vm = await vmOrNull(fn.cloud_vm_id);
        let error: string | null = null;
        if (!vm) error = fn.cloud_vm_id ? `VM ${fn.cloud_vm_id} disappeared` : 'function has no VM';
        else if (vm.state === 'error') error = vm.error ?? 'VM failed';
        else if (vm.state === 'stopped' && fn.state !== 'UPDATING') error = 'VM was powered off';
        if (!error) {
          if (vm?.state !== 'running') healthy = false;
          continue;
        }
        healthy = false;
        failed.push({ role: fn.role, error });
        await db
          .updateTable('runtime_functions')
          .set({ state: 'ERROR', error, endpoint: '', updated_at: nowDate() })
          .where('runtime_id', '=', runtimeId)
          .where('role', '=', fn.role)
          .where('state', '=', 'RUNNING')
          .execute();
      }
      return { gone: false, healthy, failed };
    },

    /** The supervisor starts a recovery like any client; 'busy' when another operation holds the runtime. */
    async startRuntimeRecovery({ runtimeId, supervisor }: RuntimeRef & { supervisor: SupervisorSettings }): Promise<'started' | 'busy' | 'healed'> {
      const row = await runtimeRow(runtimeId);
      // A recovery that just finished may have fixed what the last check saw: look again first.
      const fns = await db.selectFrom('runtime_functions').select(['cloud_vm_id', 'state']).where('runtime_id', '=', runtimeId).execute();
      const vms = await Promise.all(fns.map((f) => vmOrNull(f.cloud_vm_id)));
      if (fns.every((f, i) => f.state === 'RUNNING' && vms[i]?.state === 'running')) return 'healed';
      return startUnlessBusy(deps, {
        workflow: recoverRuntime,
        args: [{ runtimeId, supervisor, attempts: supervisor.recoveryAttempts, retryDelayMs: supervisor.recoveryDelayMs }],
        resourceType: 'runtime',
        resourceId: String(runtimeId),
        projectId: row.project_id,
        summary: `Recover serverless runtime ${runtimeId} (project ${row.project_id}), started by its supervisor`,
        userId: null,
      });
    },

    /** Cancels the runtime's supervisor (deleteRuntime); a supervisor that already ended is fine. */
    async stopRuntimeSupervisor({ runtimeId }: RuntimeRef): Promise<void> {
      await cancelIfRunning(deps.temporal, supervisorWorkflowId(config.WORKFLOW_ID_PREFIX, runtimeId));
    },

    async markRuntimeDeleting({ runtimeId }: RuntimeRef): Promise<void> {
      await db.updateTable('runtimes').set({ status: 'deleting', updated_at: nowDate() }).where('id', '=', runtimeId).execute();
    },

    /** A failed delete leaves the runtime as it was (minus the VMs already released). */
    async markRuntimeActive({ runtimeId }: RuntimeRef): Promise<void> {
      await db.updateTable('runtimes').set({ status: 'active', updated_at: nowDate() }).where('id', '=', runtimeId).execute();
    },

    async recordRuntimeDeleted({ runtimeId }: RuntimeRef): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('runtime_functions')
          .set({ cloud_vm_id: null, host_id: null, endpoint: '', updated_at: nowDate() })
          .where('runtime_id', '=', runtimeId)
          .execute();
        await tx
          .updateTable('runtimes')
          .set({ status: 'deleted', deleted_at: nowDate(), updated_at: nowDate() })
          .where('id', '=', runtimeId)
          .execute();
      });
    },
  };
}

/** DEVICE_INFO copied to the VM: as JSON, and each key as its own (upper-cased) variable. */
function deviceContext(deviceInfo: object): Record<string, string> {
  const out: Record<string, string> = { DEVICE_INFO: JSON.stringify(deviceInfo) };
  for (const [k, v] of Object.entries(deviceInfo)) if (v !== undefined && v !== null) out[k.toUpperCase()] = String(v);
  return out;
}

export type RuntimeActivities = ReturnType<typeof createRuntimeActivities>;
