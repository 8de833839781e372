/**
 * Exit codes scripts can trust:
 *
 *   0  success
 *   1  the operation failed (or was cancelled, terminated, timed out), or the server refused the
 *      change in the resource's current state (409, 423, …)
 *   2  usage: a bad command line or input (also the server's 400 and 422)
 *   3  authentication: not logged in, bad credentials (401) or not allowed (403)
 *   4  not found (404)
 *   5  server error (5xx) or the API could not be reached
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, notFound: 4, server: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** The exit code an HTTP error status stands for. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 400 || status === 422) return EXIT.usage;
  if (status >= 500) return EXIT.server;
  return EXIT.failed;
}
