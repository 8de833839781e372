import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  workflowInfo,
  CancellationScope,
  isCancellation,
  patched,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { cloudWait, quickCall, recordCall } from './support/activity-options';
import { Progress } from './support/progress';
import { Saga } from './support/saga';

const quick = proxyActivities<Activities>(quickCall);
const wait = proxyActivities<Activities>(cloudWait);
const record = proxyLocalActivities<Activities>(recordCall);

export interface InstanceInput {
  instanceId: number;
}
/** A named part of an instance: one of its volumes or snapshots. */
export interface InstancePartInput extends InstanceInput {
  name: string;
}

const resourceOf = (instanceId: number) => `instance/${instanceId}`;

/**
 * createInstance's compensation also deletes a VM the cloud made whose id was never recorded (a
 * create whose answer was lost, then refused or cancelled; found by `npm run chaos`). Histories
 * recorded before it replay without the marker.
 */
const UNRECORDED_VM_PATCH = 'compensate-unrecorded-instance-vm';

/** Deterministic per run and step: a retried or replayed step reuses it, so the cloud creates once. */
function clientToken(step: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}/${runId}/${step}`;
}

/** Creates an instance's VM and leaves it stopped; on failure or cancel nothing is left behind. */
export async function createInstance({ instanceId }: InstanceInput): Promise<{ vmId: string; hostId: string }> {
  const progress = new Progress(['Allocate VM', 'Build VM', 'Mark stopped'], resourceOf(instanceId));
  const saga = new Saga(progress);
  return saga.run(async () => {
    saga.add('Allocate VM', async () => {
      // Asked before the local activity: its answer may come in a later workflow task than on
      // replay, and the marker must sit in the task that asked.
      const findUnrecordedVm = patched(UNRECORDED_VM_PATCH);
      const { vmId, vmName } = await record.instanceCloudResources({ instanceId });
      if (vmId) await wait.deleteVm.executeWithOptions({ ...cloudWait, summary: `Delete VM ${vmId}` }, [vmId]);
      else if (findUnrecordedVm && vmName) {
        // No id recorded: the create may still have made the VM (its answer lost, the retry refused or cancelled).
        await wait.deleteMarkedVms.executeWithOptions({ ...cloudWait, summary: `Delete VM ${vmName} if the cloud made it` }, [
          { owner: resourceOf(instanceId), name: vmName },
        ]);
      }
      await record.discardInstance({ instanceId });
    });
    const vm = await progress.run('Allocate VM', () =>
      quick.createInstanceVm.executeWithOptions({ ...quickCall, summary: `Create VM for instance ${instanceId}` }, [
        { instanceId, clientToken: clientToken('vm') },
      ]),
    );
    await progress.run('Build VM', () =>
      wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vm.vmId} to be built` }, [vm.vmId, ['stopped']]),
    );
    await progress.run('Mark stopped', () => record.setInstanceState({ instanceId, state: 'stopped' }));
    return vm;
  });
}

/** Powers the instance on; answers once it really runs. A watcher records its address when the lease comes. */
export async function startInstance({ instanceId }: InstanceInput): Promise<{ state: 'running' }> {
  const progress = new Progress(['Power on VM', 'Wait until running', 'Mark running', 'Watch for address'], resourceOf(instanceId));
  const saga = new Saga(progress);
  await record.setInstanceState({ instanceId, state: 'starting' });
  return saga.run(async () => {
    saga.add('Power on VM', async () => {
      const vmId = await quick.stopInstanceVm({ instanceId });
      await wait.waitForVm(vmId, ['stopped']);
      await record.setInstanceState({ instanceId, state: 'stopped' });
    });
    const vmId = await progress.run('Power on VM', () =>
      quick.startInstanceVm.executeWithOptions({ ...quickCall, summary: `Start VM of instance ${instanceId}` }, [{ instanceId }]),
    );
    await progress.run('Wait until running', () =>
      wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} to run` }, [vmId, ['running']]),
    );
    await progress.run('Mark running', () => record.setInstanceState({ instanceId, state: 'running' }));
    await progress.run('Watch for address', () => startAddressWatcher(instanceId, vmId));
    return { state: 'running' as const };
  });
}

async function startAddressWatcher(instanceId: number, vmId: string): Promise<void> {
  const info = workflowInfo();
  try {
    await startChild(watchInstanceAddress, {
      workflowId: `${info.workflowId}/address`,
      args: [{ instanceId, vmId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowRunTimeout: '30m',
      staticSummary: `Record the address of instance ${instanceId}`,
      typedSearchAttributes: info.typedSearchAttributes,
    });
  } catch (err) {
    // A watcher from an earlier start still runs on the same VM: it will record the address.
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  }
}

/** Waits for the VM's DHCP lease and records it; ends quietly when the VM stops first. */
export async function watchInstanceAddress({ instanceId, vmId }: InstanceInput & { vmId: string }): Promise<string | null> {
  const progress = new Progress(['Wait for lease', 'Record address'], resourceOf(instanceId));
  const status = await progress.run('Wait for lease', () =>
    wait.waitForVmAddress.executeWithOptions({ ...cloudWait, summary: `Wait for a lease on VM ${vmId}` }, [vmId]),
  );
  const ipv4 = status?.ipv4 ?? null;
  if (!status) progress.skip('Record address', 'VM stopped before it got a lease');
  else await progress.run('Record address', () => record.setInstanceAddress({ instanceId, vmId, ipv4 }));
  progress.completed();
  return ipv4;
}

/** Powers the instance off; answers once it really has stopped. */
export async function stopInstance({ instanceId }: InstanceInput): Promise<{ state: 'stopped' }> {
  const progress = new Progress(['Power off VM', 'Wait until stopped', 'Mark stopped'], resourceOf(instanceId));
  await record.setInstanceState({ instanceId, state: 'stopping' });
  try {
    const vmId = await progress.run('Power off VM', () =>
      quick.stopInstanceVm.executeWithOptions({ ...quickCall, summary: `Stop VM of instance ${instanceId}` }, [{ instanceId }]),
    );
    await progress.run('Wait until stopped', () =>
      wait.waitForVm.executeWithOptions({ ...cloudWait, summary: `Wait for VM ${vmId} to stop` }, [vmId, ['stopped']]),
    );
    await progress.run('Mark stopped', () => record.setInstanceState({ instanceId, state: 'stopped' }));
    progress.completed();
    return { state: 'stopped' };
  } catch (err) {
    await resyncAfterFailure(progress, instanceId, err);
    throw err;
  }
}

/** Deletes the instance's snapshots, volumes and VM, then the instance. Only for stopped instances (the API checks). */
export async function deleteInstance({ instanceId }: InstanceInput): Promise<{ state: 'deleted' }> {
  const progress = new Progress(['Delete snapshots', 'Release volumes', 'Delete VM', 'Mark deleted'], resourceOf(instanceId));
  await record.setInstanceState({ instanceId, state: 'deleting' });
  try {
    const owned = await record.instanceCloudResources({ instanceId });
    await progress.run('Delete snapshots', async () => {
      for (const id of owned.snapshotIds) await quick.deleteSnapshot.executeWithOptions({ ...quickCall, summary: `Delete snapshot ${id}` }, [id]);
    });
    await progress.run('Release volumes', async () => {
      for (const id of owned.volumeIds) await quick.releaseVolume.executeWithOptions({ ...quickCall, summary: `Release volume ${id}` }, [id]);
    });
    if (owned.vmId) {
      const vmId = owned.vmId;
      await progress.run('Delete VM', () => wait.deleteVm.executeWithOptions({ ...cloudWait, summary: `Delete VM ${vmId}` }, [vmId]));
    } else {
      progress.skip('Delete VM', 'instance had no VM');
    }
    await progress.run('Mark deleted', () => record.recordInstanceDeleted({ instanceId }));
    progress.completed();
    return { state: 'deleted' };
  } catch (err) {
    await resyncAfterFailure(progress, instanceId, err);
    throw err;
  }
}

/** Snapshots the instance's VM; the snapshot row the API created is removed again on failure. */
export async function createSnapshot({ instanceId, name }: InstancePartInput): Promise<{ snapshotId: string }> {
  const progress = new Progress(['Snapshot VM', 'Wait until available', 'Mark available'], resourceOf(instanceId));
  const saga = new Saga(progress);
  return saga.run(async () => {
    saga.add('Snapshot VM', () => record.removeSnapshotRecord({ instanceId, name }));
    const snapshotId = await progress.run('Snapshot VM', () =>
      quick.createInstanceSnapshot.executeWithOptions({ ...quickCall, summary: `Snapshot instance ${instanceId} as ${name}` }, [
        { instanceId, name, clientToken: clientToken('snapshot') },
      ]),
    );
    saga.add('Snapshot VM', () => quick.deleteSnapshot(snapshotId));
    await progress.run('Wait until available', () =>
      wait.waitForSnapshot.executeWithOptions({ ...cloudWait, summary: `Wait for snapshot ${snapshotId}` }, [snapshotId]),
    );
    await progress.run('Mark available', () => record.markSnapshotAvailable({ instanceId, name }));
    return { snapshotId };
  });
}

/** Creates a volume (blank or from an uploaded image) and attaches it to the instance. */
export async function attachStorage({ instanceId, name }: InstancePartInput): Promise<{ volumeId: string }> {
  const progress = new Progress(['Create volume', 'Wait until attached', 'Mark attached'], resourceOf(instanceId));
  const saga = new Saga(progress);
  return saga.run(async () => {
    saga.add('Create volume', async () => {
      const volumeId = await record.volumeCloudId({ instanceId, name });
      if (volumeId) await quick.releaseVolume(volumeId);
      await record.removeVolumeRecord({ instanceId, name });
    });
    const volumeId = await progress.run('Create volume', () =>
      quick.createInstanceVolume.executeWithOptions({ ...quickCall, summary: `Create volume ${name} for instance ${instanceId}` }, [
        { instanceId, name, clientToken: clientToken('volume') },
      ]),
    );
    await progress.run('Wait until attached', () =>
      wait.waitForVolume.executeWithOptions({ ...cloudWait, summary: `Wait for volume ${volumeId}` }, [volumeId, ['attached']]),
    );
    await progress.run('Mark attached', () => record.markVolumeAttached({ instanceId, name }));
    return { volumeId };
  });
}

/** Detaches and deletes a volume, then forgets it. */
export async function detachStorage({ instanceId, name }: InstancePartInput): Promise<void> {
  const progress = new Progress(['Release volume', 'Remove record'], resourceOf(instanceId));
  const volumeId = await record.volumeCloudId({ instanceId, name });
  if (volumeId) {
    await progress.run('Release volume', () =>
      quick.releaseVolume.executeWithOptions({ ...quickCall, summary: `Release volume ${volumeId}` }, [volumeId]),
    );
  } else {
    progress.skip('Release volume', 'volume had no cloud volume');
  }
  await progress.run('Remove record', () => record.removeVolumeRecord({ instanceId, name }));
  progress.completed();
}

/** Mirrors the cloud's hosts into the hypervisor catalog; run by a schedule and at worker start. */
export async function syncHypervisors(): Promise<{ hosts: number }> {
  const progress = new Progress(['Read hosts']);
  const hosts = await progress.run('Read hosts', () => quick.syncHypervisors());
  progress.completed();
  return { hosts };
}

/**
 * The instance supervisor, run by the `compute/supervise` schedule: one query and one cloud
 * listing compare every instance in a steady state with its VM, and each instance that drifted
 * (VM crashed, host down, VM vanished, recovered, started or stopped out of band) gets a
 * followInstanceVm operation — unless an operation holds it already; the next round looks again.
 */
export async function superviseInstances(): Promise<{ checked: number; drift: number; started: number; busy: number }> {
  const progress = new Progress(['Compare instances with their VMs', 'Follow VMs']);
  const found = await progress.run('Compare instances with their VMs', () =>
    quick.findInstanceDrift.executeWithOptions({ ...quickCall, summary: 'Compare every instance with its VM' }, []),
  );
  let started = 0;
  let busy = 0;
  if (!found.drift.length) progress.skip('Follow VMs', `${found.checked} instances match their VMs`);
  else {
    await progress.run('Follow VMs', async () => {
      for (const drift of found.drift) {
        const r = await quick.startInstanceFollow.executeWithOptions(
          { ...quickCall, summary: `Instance ${drift.instanceId}: ${drift.from} → ${drift.to}${drift.reason ? ` (${drift.reason})` : ''}` },
          [drift],
        );
        if (r.outcome === 'started') started++;
        else busy++;
      }
    });
  }
  progress.completed();
  return { checked: found.checked, drift: found.drift.length, started, busy };
}

/** An operation on the instance: its recorded state follows its VM (running, stopped, or error with the reason). */
export async function followInstanceVm({ instanceId }: InstanceInput): Promise<{ from: string; to: string; reason: string | null }> {
  const progress = new Progress(['Follow VM'], resourceOf(instanceId));
  const change = await progress.run('Follow VM', () =>
    quick.applyVmStateToInstance.executeWithOptions({ ...quickCall, summary: `Record the state of instance ${instanceId}'s VM` }, [{ instanceId }]),
  );
  progress.note('Follow VM', change.from === change.to ? `still ${change.to}` : `${change.from} → ${change.to}${change.reason ? `: ${change.reason}` : ''}`);
  progress.completed();
  return change;
}

async function resyncAfterFailure(progress: Progress, instanceId: number, err: unknown): Promise<void> {
  progress.failed(isCancellation(err) ? 'cancelled' : err instanceof Error ? err.message : String(err));
  await CancellationScope.nonCancellable(() => quick.syncInstanceState({ instanceId }));
}

