import type { Shape } from '../bench-ceiling';
import type { InProcessPlatform } from '../in-process-platform';

/**
 * What the operations bench (scripts/bench-operations.ts) asks of a surface: its operations, each
 * driven through the API over HTTP, and what they need set up first.
 */

/** What a driver gets: the API over HTTP with each surface's credentials, and state shared by a surface's operations. */
export interface BenchClient {
  base: string;
  /** Kahu's session cookie (compute). */
  kahuCookie: string;
  /** HTTP Basic of the admin (runtimes, platform). */
  basic: string;
  /** `Bearer …` from the NUBOMEDIA PaaS OAuth password grant of the admin (apps; with `project-id`). */
  paasBearer: string;
  /** A Provisio API token of the admin, as `X-Auth-Token` carries it (flavors, clusters). */
  apiToken: string;
  platform: InProcessPlatform;
  /** Per surface: what its `prepare` made, for every round (a repository, a product). */
  prepared: Record<string, unknown>;
  /** Per surface: whatever its operations pass on to each other (locations, ids). */
  state: Record<string, unknown[]>;
  /** Names this round's resources apart from the previous rounds' (warm-up, 1 client, 10 clients). */
  round: string;
  request(method: string, path: string, init: { headers?: Record<string, string>; body?: RequestInit['body']; expected: number }): Promise<Response>;
}

export interface OperationDriver {
  surface: string;
  operation: string;
  /** The workflow type it runs, as in its history. */
  workflowType: string;
  /** Its command shape as designed; the bench checks it against the operation's history and measures the ceiling of what it saw. */
  shape: Shape;
  /** Other shapes its workflow issues by design, when a step depends on which of two branches ends first. */
  shapeVariants?: Shape[];
  /** One operation on resource i, to its end; returns the operation id (the run id of its workflow). */
  run(client: BenchClient, i: number): Promise<string>;
}

/** A surface's operations, in the order they build on each other (create, then start them, …). */
export interface BenchSurface {
  surface: string;
  /** Once, before its first operation: what every round needs (registered regions, a product, a git repository); may return its undoing. */
  prepare?(client: BenchClient): Promise<void | (() => Promise<void>)>;
  /** Operations per measurement when fewer than the bench's: every operation of the surface runs on the same resources. */
  counts?: { one: number; many: number };
  operations: OperationDriver[];
}

/** The operation id in a `/v1/operations/<id>` link (a body's `operation`, an `Operation-Location` header). */
export const operationIdOf = (link: string | null | undefined): string => {
  const id = link?.match(/\/v1\/operations\/([0-9a-f-]+)/)?.[1];
  if (!id) throw new Error(`no operation link in ${link}`);
  return id;
};

/** The operation id of an answer whose body carries `operation` (Kahu, the PaaS). */
export const operationInBody = async (res: Response): Promise<string> => operationIdOf(((await res.json()) as { operation: string }).operation);

/** Waits for an operation the API answered before its end (202, or 201 while pending); its workflow's result. */
export async function untilDone<T = unknown>(client: BenchClient, operationId: string): Promise<T> {
  const row = await client.platform.db.selectFrom('operations').select(['workflow_id', 'run_id']).where('id', '=', operationId).executeTakeFirstOrThrow();
  return (await client.platform.temporal.workflow.getHandle(row.workflow_id, row.run_id).result()) as T;
}

/** The resource a surface's earlier operation left for resource i in this round. */
export function stateOf<T>(client: BenchClient, surface: string, i: number): T {
  const value = client.state[surface]?.[i];
  if (value === undefined) throw new Error(`${surface}: no resource ${i} from an earlier operation in round ${client.round}`);
  return value as T;
}

export function keepState(client: BenchClient, surface: string, i: number, value: unknown): void {
  (client.state[surface] ??= [])[i] = value;
}
