import { CancellationScope } from '@temporalio/workflow';
import { Progress } from '../support/progress';
import { removeMediaServer } from './media-servers';
import { asFailure, quick, quickly, reasonOf, record, resourceOf } from './support';

export interface DeleteAppInput {
  appId: string;
}

/**
 * Removes everything an app placed: its autoscaler, the app's deployment (pods, service, route),
 * the supporting services, the media-server VMs and the build with its image; then the app.
 * A failure leaves the app FAILED with the reason (what is already released stays released), so
 * another DELETE can finish the job.
 */
export async function deleteApp({ appId }: DeleteAppInput): Promise<{ deleted: true }> {
  const progress = new Progress(
    ['Stop autoscaler', 'Delete app deployment', 'Delete supporting services', 'Delete media servers', 'Delete build', 'Forget app'],
    resourceOf(appId),
  );
  await record.setAppStatus({ appId, status: 'DELETING' });
  try {
    const owned = await record.appCloudResources({ appId });
    await progress.run('Stop autoscaler', () => quick.stopAppAutoscaler({ appId }));
    await progress.run('Delete app deployment', () =>
      quick.releaseAppDeployment.executeWithOptions(quickly(`Delete the deployment of app ${appId}`), [{ appId }]),
    );
    await progress.run('Delete supporting services', async () => {
      for (const serviceId of owned.serviceIds) {
        await quick.releaseAppDeployment.executeWithOptions(quickly(`Delete supporting service ${serviceId}`), [{ appId, serviceId }]);
      }
    });
    await progress.run('Delete media servers', async () => {
      await Promise.all(owned.hostnames.map((hostname) => removeMediaServer(appId, hostname)));
    });
    await progress.run('Delete build', () => quick.deleteAppBuild.executeWithOptions(quickly(`Delete the build of app ${appId}`), [{ appId }]));
    await progress.run('Forget app', () => record.forgetApp({ appId }));
    progress.completed();
    return { deleted: true };
  } catch (err) {
    progress.failed(reasonOf(err));
    await CancellationScope.nonCancellable(() => record.setAppStatus({ appId, status: 'FAILED', error: `Delete failed: ${reasonOf(err)}` }));
    throw asFailure(err, 'DeleteFailed');
  }
}
