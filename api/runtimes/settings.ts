import { z } from 'zod';
import { supervisorWorkflowId, type SupervisorSettings } from '../../lib/runtimes';
import type { Config } from '../../lib/config';

/**
 * Durations of the runtime supervisor and recovery, read from the environment at each request
 * (tests lower them). They travel to the workflows as arguments.
 */
const schema = z.object({
  /** How often the supervisor checks a runtime's VMs: the failure detection interval. */
  RUNTIME_SUPERVISOR_INTERVAL_MS: z.coerce.number().int().min(10).default(5000),
  /** Checks per supervisor run before it continues as new (earlier when Temporal suggests it). */
  RUNTIME_SUPERVISOR_TICKS_PER_RUN: z.coerce.number().int().min(1).default(360),
  /** Recovery operations per failure streak before a runtime is left in ERROR (a PUT retries). */
  RUNTIME_SUPERVISOR_MAX_RECOVERIES: z.coerce.number().int().min(1).default(3),
  /** Attempts of one recovery, and the first wait between them (doubling, at most 1 min). */
  RUNTIME_RECOVERY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  RUNTIME_RECOVERY_DELAY_MS: z.coerce.number().int().min(0).default(1000),
});

export function supervisorSettings(config: Config, runtimeId: number, env: Record<string, string | undefined> = process.env): SupervisorSettings {
  const parsed = schema.safeParse(env);
  const s = parsed.success ? parsed.data : schema.parse({});
  return {
    workflowId: supervisorWorkflowId(config.WORKFLOW_ID_PREFIX, runtimeId),
    intervalMs: s.RUNTIME_SUPERVISOR_INTERVAL_MS,
    ticksPerRun: s.RUNTIME_SUPERVISOR_TICKS_PER_RUN,
    maxRecoveries: s.RUNTIME_SUPERVISOR_MAX_RECOVERIES,
    recoveryAttempts: s.RUNTIME_RECOVERY_ATTEMPTS,
    recoveryDelayMs: s.RUNTIME_RECOVERY_DELAY_MS,
  };
}
