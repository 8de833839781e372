/**
 * Test-only crash points: `PROVISIO_TEST_CRASH_AT=<point>[:<what>]` makes the process SIGKILL
 * itself the first time it reaches `<point>` (for `<what>` only, when given: a workflow type or a
 * request path), so a test can kill an API at a deliberately bad moment. Honoured only when
 * PROVISIO_ENV=test; `assertNoTestCrashOutsideTests` makes any other process refuse to start
 * with it set, so it cannot be switched on in production.
 *
 * Points: `claimed` (an Idempotency-Key is claimed, the handler not yet run), `before-start` (a
 * create's rows are written in its open transaction, the workflow not started), `after-start` (the
 * workflow started, its operation not recorded), `after-record` (the operation and the answer a
 * retry gets are committed, the answer not yet sent).
 */
export type CrashPoint = 'claimed' | 'before-start' | 'after-start' | 'after-record';

const ENV = 'PROVISIO_TEST_CRASH_AT';

export function crashPoint(point: CrashPoint, what?: string): void {
  const spec = process.env[ENV];
  if (!spec || process.env.PROVISIO_ENV !== 'test') return;
  const [wanted, filter] = spec.split(':', 2);
  if (wanted !== point) return;
  if (filter && !(what ?? '').includes(filter)) return;
  process.kill(process.pid, 'SIGKILL');
}

/** Exits the process (at start) when a crash point is configured outside tests. */
export function assertNoTestCrashOutsideTests(env: string): void {
  if (process.env[ENV] && env !== 'test') {
    console.error(`${ENV} is a test-only setting and is refused when PROVISIO_ENV=${env}`);
    process.exit(1);
  }
}
