import { CancellationScope, ParentClosePolicy, WorkflowIdReusePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { AppStatus, AutoscalerSettings } from '../../db/apps';
import { Progress } from '../support/progress';
import { Saga } from '../support/saga';
import { autoscaleApp } from './autoscale-app';
import { launchMediaServer } from './media-servers';
import { allOrNothing, clientToken, quick, quickly, reasonOf, record, resourceOf, wait, waiting } from './support';

export interface DeployAppInput {
  appId: string;
  /** Present when the app autoscales (scaleOutLimit > 0): the autoscaler starts once it runs. */
  autoscaler: AutoscalerSettings | null;
}

/**
 * Deploys an app, as the seed's states tell: INITIALIZING (its media servers boot, each with a
 * floating IP, while the image builds from its git repository) → INITIALISED → BUILDING (while
 * the build goes on) → DEPLOYNG (the supporting services, then the app with their variables
 * injected, behind its route) → RUNNING.
 * Any failure or cancel removes everything placed so far and leaves the app FAILED with the reason.
 */
export async function deployApp({ appId, autoscaler }: DeployAppInput): Promise<{ status: 'RUNNING' }> {
  const plan = await record.appDeployPlan({ appId });
  const serviceStep = (name: string) => `Deploy service ${name}`;
  const progress = new Progress(
    ['Launch media servers', 'Build image', ...plan.services.map((s) => serviceStep(s.name)), 'Deploy app', 'Start autoscaler', 'Mark running'],
    resourceOf(appId),
  );
  const saga = new Saga(progress);
  const setStatus = (status: AppStatus, resourceOk?: boolean) => record.setAppStatus({ appId, status, resourceOk });
  try {
    return await saga.run(async () => {
      await setStatus('INITIALIZING');
      // The image needs nothing from the media servers, so it builds while they boot; the status
      // still reads INITIALISED once they are up, then BUILDING while the build goes on.
      let building = true;
      await allOrNothing([
        async () => {
          await progress.run('Launch media servers', () =>
            allOrNothing(Array.from({ length: plan.numberOfInstances }, (_, i) => () => launchMediaServer(saga, 'Launch media servers', appId, `ms-${i + 1}`))),
          );
          await setStatus('INITIALISED', true);
          if (building) await setStatus('BUILDING');
        },
        async () => {
          saga.add('Build image', () => quick.deleteAppBuild({ appId }));
          await progress.run('Build image', async () => {
            const buildId = await quick.startAppBuild.executeWithOptions(quickly(`Start the image build of app ${appId}`), [
              { appId, clientToken: clientToken('build') },
            ]);
            await wait.waitForAppBuild.executeWithOptions(waiting(`Wait for build ${buildId}`), [{ appId, buildId }]);
          });
          building = false;
        },
      ]);

      await setStatus('DEPLOYNG');
      await allOrNothing(
        plan.services.map((service) => async () => {
          const step = serviceStep(service.name);
          saga.add(step, () => quick.releaseAppDeployment({ appId, serviceId: service.id }));
          await progress.run(step, async () => {
            const deploymentId = await quick.createServiceDeployment.executeWithOptions(quickly(`Deploy supporting service ${service.name}`), [
              { appId, serviceId: service.id, clientToken: clientToken(`service-${service.id}`) },
            ]);
            const pods = await wait.waitForPods.executeWithOptions(waiting(`Wait for the pods of service ${service.name}`), [deploymentId]);
            await record.setDeploymentPods({ appId, serviceId: service.id, pods });
          });
        }),
      );
      saga.add('Deploy app', () => quick.releaseAppDeployment({ appId }));
      await progress.run('Deploy app', async () => {
        const deploymentId = await quick.createAppDeployment.executeWithOptions(quickly(`Deploy app ${appId} from its image`), [
          { appId, clientToken: clientToken('app') },
        ]);
        const pods = await wait.waitForPods.executeWithOptions(waiting(`Wait for the pods of app ${appId}`), [deploymentId]);
        await record.setDeploymentPods({ appId, pods });
      });

      if (autoscaler) {
        saga.add('Start autoscaler', () => quick.stopAppAutoscaler({ appId }));
        await progress.run('Start autoscaler', () => ensureAutoscaler(appId, autoscaler));
      } else {
        progress.skip('Start autoscaler', 'scaleOutLimit is 0: no autoscaling');
      }
      await progress.run('Mark running', () => setStatus('RUNNING'));
      return { status: 'RUNNING' as const };
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() => record.setAppStatus({ appId, status: 'FAILED', error: reasonOf(err) }));
    throw err;
  }
}

/**
 * Starts the app's autoscaler beside this operation (it outlives it); one already running is
 * fine. Its ID comes from the input, so histories replay under any workflow ID.
 */
async function ensureAutoscaler(appId: string, settings: AutoscalerSettings): Promise<void> {
  try {
    await startChild(autoscaleApp, {
      workflowId: settings.workflowId,
      args: [{ appId, settings }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Autoscale the media servers of app ${appId} by their load`,
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  }
}
