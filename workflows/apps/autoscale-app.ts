import { allHandlersFinished, condition, continueAsNew, sleep, workflowInfo } from '@temporalio/workflow';
import type { AutoscalerSettings } from '../../db/apps';
import { Progress } from '../support/progress';
import { decideScaling } from './autoscale-policy';
import { quick, quickly, resourceOf } from './support';

export interface AutoscaleAppInput {
  appId: string;
  settings: AutoscalerSettings;
  /** Workflow time (ms) of the last scaling it started, for the cooldown (carried across continue-as-new). */
  lastActionAt?: number | null;
  /** Runs of this autoscaler so far (1 for the first). */
  run?: number;
}

/**
 * An app's autoscaler: after each period it reads the consumed capacity of the app's ACTIVE media
 * servers and decides (autoscale-policy.ts); a decision to scale starts a scaleOutMediaServers or
 * scaleInMediaServers operation like any client, with the measurement as its reason (when another
 * operation holds the app it tries again next period). Ends when the app is deleted; continues as
 * new to keep its history short.
 */
export async function autoscaleApp({ appId, settings, lastActionAt = null, run = 1 }: AutoscaleAppInput): Promise<{ ended: string }> {
  const progress = new Progress(['Watch load'], resourceOf(appId));
  progress.note('Watch load', `run ${run}`);
  for (let tick = 1; ; tick++) {
    await sleep(settings.periodMs); // a period of measurements before each decision, the first one too
    const load = await quick.readAppLoad.executeWithOptions(quickly(`Read the load of the media servers of app ${appId}`), [{ appId }]);
    if (load.gone) {
      progress.completed();
      return { ended: 'app deleted' };
    }
    const cooldownLeft = lastActionAt === null ? 0 : lastActionAt + settings.cooldownMs - Date.now();
    const decision = decideScaling(load, settings.lowMark, cooldownLeft);
    let outcome = 'no action';
    if (decision.action !== 'none') {
      const direction = decision.action;
      const started = await quick.startAppScaling.executeWithOptions(quickly(`Scale ${direction} app ${appId}: ${decision.reason}`), [
        { appId, direction, reason: `autoscaler: ${decision.reason}` },
      ]);
      if (started === 'started') lastActionAt = Date.now();
      outcome = `scale ${direction} ${started}`;
    }
    progress.note('Watch load', `run ${run}, tick ${tick}: ${decision.reason}; ${outcome}`);
    if (tick >= settings.ticksPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof autoscaleApp>({ appId, settings, lastActionAt, run: run + 1 });
    }
  }
}
