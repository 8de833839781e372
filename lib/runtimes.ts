/**
 * What the serverless-runtimes API, workflows and activities share: the supervisor's settings
 * (workflow arguments), its workflow ID, and the name a function's VM is created with.
 */

/** How often the supervisor polls and how long one of its runs lasts; workflow arguments, from the API's settings. */
export interface SupervisorSettings {
  /** The supervisor's workflow ID (`<prefix>runtime/<id>/supervisor`). */
  workflowId: string;
  intervalMs: number;
  /** Ticks before the supervisor continues as new (also when Temporal suggests it earlier). */
  ticksPerRun: number;
  /** Recovery operations the supervisor starts for one failure streak before it leaves the runtime in ERROR. */
  maxRecoveries: number;
  /** The retry plan of each recovery it starts. */
  recoveryAttempts: number;
  recoveryDelayMs: number;
}

/** The supervisor of a runtime runs beside its operations (`runtime/<id>`), under its own ID. */
export const supervisorWorkflowId = (prefix: string, runtimeId: number) => `${prefix}runtime/${runtimeId}/supervisor`;

/** The name a function's VM is created with (an update may rename it later); with the owner mark, it finds a VM whose create answer was lost. */
export const runtimeVmName = (runtimeId: number, role: string) => `sr-${runtimeId}-${role.toLowerCase()}`;
