import { patched } from '@temporalio/workflow';
import { Progress } from '../support/progress';
import { Saga } from '../support/saga';
import { asFailure, clientToken, quick, quickly, reasonOf, record, resourceOf, wait, waiting } from './support';

/**
 * An app's media servers (Kurento on VMs with a floating IP): launched by deployApp, added and
 * removed one at a time by hand or by the autoscaler, taken out of and back into the pool.
 */

export interface ScaleOutInput {
  appId: string;
  /** Why: who asked, or the autoscaler's measurement. */
  reason: string;
}

export interface ScaleInInput extends ScaleOutInput {
  /** The media server to remove; when absent, an INACTIVE one, else the newest. */
  hostname?: string;
}

export interface MediaServerInput {
  appId: string;
  hostname: string;
}

/**
 * A launch's compensation also deletes a VM the cloud made whose id was never recorded (a create
 * whose answer was lost, then refused or cancelled; found by `npm run chaos`). Histories recorded
 * before it replay without the marker.
 */
const UNRECORDED_VM_PATCH = 'compensate-unrecorded-media-server-vm';

/**
 * Adds one media server: its record, its VM (with the TURN/STUN settings in its context), then
 * waits until the VM runs with a floating IP and marks it ACTIVE. The saga removes it again.
 */
export async function launchMediaServer(saga: Saga, step: string, appId: string, slot: string): Promise<string> {
  // The hostname is recorded before the VM is created with it as its name: the compensation can find the VM by it.
  const { hostname } = await record.addMediaServer({ appId, clientToken: clientToken(`${slot}-host`) });
  saga.add(step, () => undoLaunch(appId, hostname));
  const vmId = await quick.createMediaServerVm.executeWithOptions(quickly(`Create the VM of media server ${hostname}`), [
    { appId, hostname, clientToken: clientToken(`${slot}-vm`) },
  ]);
  const { floatingIp } = await wait.waitForMediaServer.executeWithOptions(waiting(`Wait for media server ${hostname} to run with a floating IP`), [vmId]);
  await record.markMediaServer({ appId, hostname, status: 'ACTIVE', floatingIp });
  return hostname;
}

/**
 * Removes a media server whose launch failed or was cancelled. With no VM id recorded, the create
 * may still have made the VM (its answer lost, the retry refused or cancelled): the owner mark and
 * the name find it.
 */
async function undoLaunch(appId: string, hostname: string): Promise<void> {
  const vmId = await record.mediaServerVmId({ appId, hostname });
  if (vmId) await wait.deleteVm.executeWithOptions(waiting(`Delete the VM of media server ${hostname}`), [vmId]);
  else if (patched(UNRECORDED_VM_PATCH)) {
    await wait.deleteMarkedVms.executeWithOptions(waiting(`Delete VM ${hostname} if the cloud made it`), [{ owner: resourceOf(appId), name: hostname }]);
  }
  await record.forgetMediaServer({ appId, hostname });
}

/** Deletes the media server's VM (when it has one) and forgets it. */
export async function removeMediaServer(appId: string, hostname: string): Promise<void> {
  const vmId = await record.mediaServerVmId({ appId, hostname });
  if (vmId) await wait.deleteVm.executeWithOptions(waiting(`Delete the VM of media server ${hostname}`), [vmId]);
  await record.forgetMediaServer({ appId, hostname });
}

/** Adds one media server to a RUNNING app, within its maximum (scaleOutLimit, else numberOfInstances). */
export async function scaleOutMediaServers({ appId, reason }: ScaleOutInput): Promise<{ hostname: string }> {
  const progress = new Progress(['Check limits', 'Launch media server'], resourceOf(appId));
  progress.note('Check limits', reason);
  const saga = new Saga(progress);
  try {
    return await saga.run(async () => {
      await progress.run('Check limits', () => record.checkScaling({ appId, direction: 'out' }));
      const hostname = await progress.run('Launch media server', () => launchMediaServer(saga, 'Launch media server', appId, 'scale-out'));
      progress.note('Launch media server', hostname);
      return { hostname };
    });
  } catch (err) {
    throw asFailure(err, 'ScaleOutFailed');
  }
}

/** Removes one media server (the named one, else an INACTIVE one, else the newest); at least one stays. */
export async function scaleInMediaServers({ appId, hostname, reason }: ScaleInInput): Promise<{ hostname: string }> {
  const progress = new Progress(['Check limits', 'Remove media server'], resourceOf(appId));
  progress.note('Check limits', reason);
  try {
    const chosen = await progress.run('Check limits', () => record.checkScaling({ appId, direction: 'in', hostname }));
    await progress.run('Remove media server', () => removeMediaServer(appId, chosen.hostname));
    progress.note('Remove media server', chosen.hostname);
    progress.completed();
    return { hostname: chosen.hostname };
  } catch (err) {
    progress.failed(reasonOf(err));
    throw asFailure(err, 'ScaleInFailed');
  }
}

/** Takes an ACTIVE media server out of the pool: it keeps serving what it has, but gets nothing new. */
export async function stopMediaServer(input: MediaServerInput): Promise<{ status: 'INACTIVE' }> {
  await setPoolMembership(input, false);
  return { status: 'INACTIVE' };
}

/** Puts an INACTIVE media server back into the pool. */
export async function startMediaServer(input: MediaServerInput): Promise<{ status: 'ACTIVE' }> {
  await setPoolMembership(input, true);
  return { status: 'ACTIVE' };
}

async function setPoolMembership({ appId, hostname }: MediaServerInput, active: boolean): Promise<void> {
  const status = active ? 'ACTIVE' : 'INACTIVE';
  const progress = new Progress(['Check media server', 'Update registration', `Mark ${status}`], resourceOf(appId));
  try {
    const vmId = await progress.run('Check media server', () => record.checkPoolChange({ appId, hostname, active }));
    await progress.run('Update registration', () =>
      quick.registerMediaServer.executeWithOptions(quickly(`${active ? 'Register' : 'Unregister'} media server ${hostname}`), [{ vmId, active }]),
    );
    await progress.run(`Mark ${status}`, () => record.markMediaServer({ appId, hostname, status }));
    progress.completed();
  } catch (err) {
    progress.failed(reasonOf(err));
    throw asFailure(err, active ? 'StartFailed' : 'StopFailed');
  }
}
