import type { WorkerOptions } from '@temporalio/worker';

/**
 * How the platform's worker runs tasks (figures: `npm run bench`, the README's "Reliability and
 * performance"). Measured on the dev server, the worker's own defaults were not what cost time —
 * the server's settings were (scripts/temporal-dev-server.ts) — so these only size the worker for
 * many operations at once: a sticky cache that keeps every running operation's workflow in memory
 * (its next task runs without replaying history, independent of the heap-size default), and room
 * for the activities that wait on the cloud (each holds a slot while it polls).
 */
export const WORKER_TUNING = {
  maxCachedWorkflows: 1000,
  maxConcurrentActivityTaskExecutions: 200,
  maxConcurrentLocalActivityExecutions: 200,
} satisfies Partial<WorkerOptions>;
