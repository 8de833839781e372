/**
 * The benchmark's no-op activity: the ceiling of an operation is an empty workflow of the same
 * command shape (workflows/bench.ts), so its activities do nothing at all.
 */
export function createBenchActivities() {
  return {
    async benchNoop(): Promise<void> {},
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
