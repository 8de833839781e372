import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowOptions,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../db/connection';
import type { StoredAnswer } from '../db/operations';
import type { Database } from '../db/schema';
import { PROJECT_ID, RESOURCE_ID, RESOURCE_TYPE } from '../workflows/support/search-attributes';
import type { Config } from './config';
import type { Logger } from './logger';
import { currentLeaseId, isLeaseAlive } from './process-lease';
import { crashPoint } from './test-crash';

/**
 * Starting an operation: one workflow run on one resource, recorded so /v1/operations can find
 * it. Shared by the API (requests) and activities (supervisors start operations like any client).
 */
export interface OperationStarterDeps {
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'WORKFLOW_ID_PREFIX'>;
  db: Db;
  temporal: Client;
  logger: Logger;
}

export interface StartOperationRequest<W extends Workflow> {
  /** The workflow function: its name is the workflow type, its parameters type `args`. */
  workflow: W;
  args: Parameters<W>;
  resourceType: string;
  resourceId: string;
  projectId: string;
  /** Shown in the Temporal Web UI, e.g. "Start instance 42 (project demo)". */
  summary: string;
  userId: string | null;
  /** Upper bound for the whole run; every workflow has one. */
  runTimeoutMs?: number;
}

/**
 * An operation on a resource, its workflow function aside (`startRecordedOperation` takes it from a
 * callback; `[...Parameters<W>]` lets TypeScript type an array literal there as the tuple it is).
 */
export type OperationOn<W extends Workflow> = Omit<StartOperationRequest<W>, 'workflow' | 'args'> & { args: [...Parameters<W>] };

export interface StartedOperation<W extends Workflow = Workflow> {
  operationId: string;
  workflowId: string;
  handle: WorkflowHandle<W>;
}

/**
 * Start options for a generic workflow W: the SDK types `args` with a conditional type that
 * TypeScript cannot resolve while W is generic, so the pairing is asserted here, once.
 */
export function withArgs<W extends Workflow>(args: Parameters<W>, options: WorkflowOptions): WorkflowStartOptions<W> {
  return { ...options, args } as unknown as WorkflowStartOptions<W>;
}

/** Workflow ID of a resource's mutations: one at a time per resource, enforced by Temporal. */
export function resourceWorkflowId(config: Pick<Config, 'WORKFLOW_ID_PREFIX'>, resourceType: string, resourceId: string): string {
  return `${config.WORKFLOW_ID_PREFIX}${resourceType}/${resourceId}`;
}

/** Another operation holds the resource; each surface renders it with its seed's conflict status. */
export class OperationInProgressError extends Error {
  constructor(
    readonly operationId: string | null,
    readonly resource: string,
  ) {
    super(`Another operation is in progress on ${resource}` + (operationId ? ` (operation ${operationId})` : ''));
    this.name = 'OperationInProgressError';
  }
}

/**
 * Crash safety of a start. A start is written down (`operation_starts`) before its workflow starts
 * and crossed out in the transaction that records its operation (the `operations` row, the answer
 * a retry of the request gets, and — for a create — the resource's rows). The run carries the
 * start's token in its memo. So whatever moment a process dies at, the state says what happened:
 * - no start row, operation recorded: done;
 * - a start row of a dead process (or an old one): recovery settles it — the run it started, found
 *   by its deterministic workflow ID and the token in its memo, gets its operations row; for a create,
 *   whose rows never committed, the start is crossed out instead, and the run ends itself (terminated:
 *   its compensations would find by key the rows a retry writes) having created nothing
 *   (activities/support/records.ts). A create's run acts only once its own operations row is there.
 * Crossing a start out is the one decision point: the recording transaction and recovery (or the
 * run giving up) both delete the row, and only one of them can.
 */
export const START_MEMO = 'provisioStart';

/** What an operation run's memo says about its start. */
export interface StartMemo {
  token: string;
  /** The process lease of the starter; null when it had none. */
  owner: number | null;
  /** The run needs rows its start records in the same transaction (a create): until they commit it must not act. */
  records: boolean;
}

/** A start not recorded after this long is settled even if its process looks alive (a recording transaction never takes this long). */
export const STALE_START_MS = 60_000;
/** How long recovery trusts visibility to have caught up with a start (a run superseded by a later one is found there). */
const VISIBILITY_GRACE_MS = 15_000;
/** Stands for the operation id in an answer rendered before the run exists (replaced when recorded). */
export const OPERATION_ID_PLACEHOLDER = 'ffffffff-ffff-4fff-bfff-fffffffffff0';
/** Why the run of a start that was given up was terminated. */
export const INTERRUPTED_REASON = 'the request that started this run was interrupted before it was recorded; nothing was created';

/** An idempotency claim (api/idempotency.ts): a retry of the request gets the answer recorded with its operation. */
export interface ClaimRef {
  scope: string;
  key: string;
  /** The lease of the process holding the claim. */
  owner: number | null;
}

export interface StartOptions {
  /** The claim of the request starting the operation, if it carries an Idempotency-Key. */
  claim?: ClaimRef;
  /** The answer (202 and the operation link) a retry of the claim gets should the request die after the start. */
  answer?: (operationId: string) => StoredAnswer | Promise<StoredAnswer>;
}

/**
 * A create: rows written in a transaction, the workflow that needs them, and the answer a retry
 * gets, committed together or not at all.
 */
export interface RecordedStart<W extends Workflow, R> {
  /** Writes the resource's rows (runs first, in the transaction; a thrown error changes nothing). */
  records: (tx: Transaction<Database>) => Promise<R>;
  /** The workflow function of the operation. */
  workflow: W;
  /** The operation on what `records` wrote. */
  operation: (value: R) => OperationOn<W>;
  claim?: ClaimRef;
  answer?: (value: R, operationId: string) => StoredAnswer | Promise<StoredAnswer>;
}

/** The start was settled by recovery before it could be recorded (its process looked dead): nothing was created. */
export class StartInterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartInterruptedError';
  }
}

/**
 * Starts the workflow of one operation on a resource and records it. A second mutation while one
 * runs fails with OperationInProgressError naming the running operation. With a claim and an
 * answer, the answer a retry of the request gets is recorded with the operation.
 */
export async function startOperation<W extends Workflow>(
  deps: OperationStarterDeps,
  req: StartOperationRequest<W>,
  options: StartOptions = {},
): Promise<StartedOperation<W>> {
  const resource = `${req.resourceType}/${req.resourceId}`;
  const workflowId = resourceWorkflowId(deps.config, req.resourceType, req.resourceId);
  const memo: StartMemo = { token: randomUUID(), owner: options.claim?.owner ?? currentLeaseId(), records: false };
  const answer = options.claim && options.answer ? await options.answer(OPERATION_ID_PLACEHOLDER) : null;
  await deps.db
    .insertInto('operation_starts')
    .values({
      token: memo.token,
      owner: memo.owner,
      records: false,
      workflow_id: workflowId,
      workflow_type: req.workflow.name,
      resource_type: req.resourceType,
      resource_id: resource,
      project_id: req.projectId,
      summary: req.summary,
      created_by: req.userId,
      claim_scope: options.claim?.scope ?? null,
      claim_key: options.claim?.key ?? null,
      answer: answer ? JSON.stringify(answer) : null,
    })
    .execute();
  crashPoint('before-start', req.workflow.name);
  const handle = await startRun(deps, req, workflowId, resource, memo);
  crashPoint('after-start', req.workflow.name);
  const runId = handle.firstExecutionRunId;
  // Recorded even when recovery crossed the start out meanwhile (it records the same row): the run is real.
  await recordStart(deps.db, memo.token, {
    op: { runId, workflowId, workflowType: req.workflow.name, resourceType: req.resourceType, resource, projectId: req.projectId, summary: req.summary, userId: req.userId },
    claim: options.claim,
    answer: answer ? withOperationId(answer, runId) : undefined,
  });
  crashPoint('after-record', req.workflow.name);
  deps.logger.info({ operationId: runId, workflowId, workflowType: req.workflow.name, resource }, 'operation started');
  return { operationId: runId, workflowId, handle: deps.temporal.workflow.getHandle<W>(workflowId, runId) };
}

/**
 * Starts a create: `records` writes the resource's rows in a transaction, the workflow starts while
 * it is open, and its operations row (and the answer a retry gets) join the same transaction. A
 * crash anywhere leaves either all of it, or nothing but a run that gives up without acting.
 */
export async function startRecordedOperation<W extends Workflow, R>(
  deps: OperationStarterDeps,
  spec: RecordedStart<W, R>,
): Promise<StartedOperation<W> & { value: R }> {
  const memo: StartMemo = { token: randomUUID(), owner: spec.claim?.owner ?? currentLeaseId(), records: true };
  // Before the transaction, on a connection of its own: recovery must see it while the transaction is open.
  await deps.db
    .insertInto('operation_starts')
    .values({ token: memo.token, owner: memo.owner, records: true, claim_scope: spec.claim?.scope ?? null, claim_key: spec.claim?.key ?? null })
    .execute();
  let run: { workflowId: string; runId: string; req: StartOperationRequest<W>; value: R } | undefined;
  try {
    await deps.db.transaction().execute(async (tx) => {
      const value = await spec.records(tx);
      const req = { ...spec.operation(value), workflow: spec.workflow } as StartOperationRequest<W>;
      const resource = `${req.resourceType}/${req.resourceId}`;
      const workflowId = resourceWorkflowId(deps.config, req.resourceType, req.resourceId);
      crashPoint('before-start', req.workflow.name);
      const handle = await startRun(deps, req, workflowId, resource, memo);
      const runId = handle.firstExecutionRunId;
      run = { workflowId, runId, req, value };
      crashPoint('after-start', req.workflow.name);
      const recorded = await recordStart(tx, memo.token, {
        op: { runId, workflowId, workflowType: req.workflow.name, resourceType: req.resourceType, resource, projectId: req.projectId, summary: req.summary, userId: req.userId },
        claim: spec.claim,
        answer: spec.claim && spec.answer ? await spec.answer(value, runId) : undefined,
      });
      if (!recorded.crossedOut) throw new StartInterruptedError(`the start of ${req.workflow.name} on ${resource} was given up before it was recorded`);
      if (recorded.answered === false) throw new StartInterruptedError('the Idempotency-Key of the request was taken over by a retry');
    });
  } catch (err) {
    if (!run || !(await isRecorded(deps.db, run.runId))) {
      // Nothing committed: the start is crossed out and its run (if any) ends without acting.
      await crossOut(deps.db, memo.token).catch(() => false);
      if (run) {
        await deps.temporal.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate(INTERRUPTED_REASON)
          .catch((e: unknown) => deps.logger.warn({ err: String(e), workflowId: run!.workflowId }, 'could not terminate the run of a start that was not recorded'));
      }
      throw err;
    }
    // The commit reported an error but happened: carry on.
  }
  const { workflowId, runId, req, value } = run!;
  crashPoint('after-record', req.workflow.name);
  deps.logger.info({ operationId: runId, workflowId, workflowType: req.workflow.name, resource: `${req.resourceType}/${req.resourceId}` }, 'operation started');
  return { operationId: runId, workflowId, handle: deps.temporal.workflow.getHandle<W>(workflowId, runId), value };
}

/** Starts the run; another run holding the workflow ID is an OperationInProgressError, unless it is an abandoned create (then it goes). */
async function startRun<W extends Workflow>(
  deps: OperationStarterDeps,
  req: StartOperationRequest<W>,
  workflowId: string,
  resource: string,
  memo: StartMemo,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const options = withArgs<W>(req.args, {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowRunTimeout: req.runTimeoutMs ?? 60 * 60_000,
        staticSummary: req.summary,
        memo: { [START_MEMO]: memo },
        typedSearchAttributes: [
          { key: RESOURCE_TYPE, value: req.resourceType },
          { key: RESOURCE_ID, value: resource },
          { key: PROJECT_ID, value: req.projectId },
        ],
      });
      return await deps.temporal.workflow.start(req.workflow, options);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        // Refused outright: nothing started. (A timeout may have started it: recovery settles that start.)
        if (!memo.records && refused(err)) await crossOut(deps.db, memo.token).catch(() => false);
        throw err;
      }
      if (attempt <= 3 && (await endAbandonedRun(deps, workflowId))) continue;
      if (!memo.records) await crossOut(deps.db, memo.token).catch(() => false); // nothing started
      const running = await deps.db
        .selectFrom('operations')
        .select('id')
        .where('workflow_id', '=', workflowId)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      throw new OperationInProgressError(running?.id ?? null, resource);
    }
  }
}

/**
 * The run holding `workflowId`, when it is a create whose request died before recording it (its
 * start crossed out, or its process dead): terminated, so the workflow ID is free at once. It has
 * done nothing, and does nothing after: a create's first step waits for its own operations row,
 * which can no longer be recorded. True when the start may be tried again
 * (that run is gone, or had ended meanwhile).
 */
async function endAbandonedRun(deps: OperationStarterDeps, workflowId: string): Promise<boolean> {
  const handle = deps.temporal.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => undefined);
  if (!description || description.status.name !== 'RUNNING') return true; // it ended meanwhile: start again
  const memo = startMemoOf(description);
  if (!memo?.records) return false;
  if (await isRecorded(deps.db, description.runId)) return false;
  const start = await deps.db.selectFrom('operation_starts').select(['owner', 'created_at']).where('token', '=', memo.token).executeTakeFirst();
  if (start) {
    if (!(await startAbandoned(deps.db, start))) return false; // still being recorded by a live process
    if (!(await crossOut(deps.db, memo.token)) && (await isRecorded(deps.db, description.runId))) return false;
  } else if (await isRecorded(deps.db, description.runId)) {
    return false;
  }
  await deps.temporal.workflow
    .getHandle(workflowId, description.runId)
    .terminate(INTERRUPTED_REASON)
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  deps.logger.info({ workflowId, runId: description.runId }, 'ended the run of a create whose request died before recording it');
  return true;
}

/** gRPC codes of a start the server refused (as opposed to one whose outcome is unknown: timeouts, unavailable, internal). */
const REFUSED_CODES = new Set([3, 5, 7, 8, 9, 11, 12, 16]);

function refused(err: unknown): boolean {
  for (let e: any = err; e; e = e.cause) if (typeof e.code === 'number') return REFUSED_CODES.has(e.code);
  return false;
}

/** The start memo of a run (undefined for runs started before starts carried one). */
export function startMemoOf(run: Pick<WorkflowExecutionInfo, 'memo'>): StartMemo | undefined {
  const memo = run.memo?.[START_MEMO] as Partial<StartMemo> | undefined;
  return memo && typeof memo.token === 'string' ? { token: memo.token, owner: memo.owner ?? null, records: memo.records === true } : undefined;
}

/** Crosses a start out; true when this call did (whoever does decides its fate). */
export async function crossOut(db: Kysely<Database>, token: string): Promise<boolean> {
  const res = await db.deleteFrom('operation_starts').where('token', '=', token).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

/** A start whose process is dead, or that has waited too long to be recorded. */
export async function startAbandoned(db: Db, start: { owner: number | null; created_at: Date }): Promise<boolean> {
  if (Date.now() - start.created_at.getTime() > STALE_START_MS) return true;
  return start.owner !== null && !(await isLeaseAlive(db, start.owner));
}

export async function isRecorded(db: Kysely<Database>, runId: string): Promise<boolean> {
  return !!(await db.selectFrom('operations').select('id').where('run_id', '=', runId).executeTakeFirst());
}

interface OperationRecord {
  runId: string;
  workflowId: string;
  workflowType: string;
  resourceType: string;
  resource: string;
  projectId: string;
  summary: string;
  userId: string | null;
}

async function recordOperation(db: Kysely<Database>, op: OperationRecord): Promise<void> {
  await db
    .insertInto('operations')
    .values({
      id: op.runId,
      workflow_id: op.workflowId,
      run_id: op.runId,
      workflow_type: op.workflowType,
      resource_type: op.resourceType,
      resource_id: op.resource,
      project_id: op.projectId,
      summary: op.summary,
      created_by: op.userId,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * The recording step, in one statement: the start crossed out, the operations row, and the answer
 * a retry of the claim gets (while the claim is still held by its owner). `crossedOut` false: the
 * start was settled by someone else; `answered` false: the claim was taken over.
 */
async function recordStart(
  db: Kysely<Database>,
  token: string,
  { op, claim, answer }: { op: OperationRecord; claim?: ClaimRef; answer?: StoredAnswer },
): Promise<{ crossedOut: boolean; answered?: boolean }> {
  const answering = claim && answer;
  const { rows } = await sql<{ crossed_out: number; answered: number }>`
    with crossed as (delete from operation_starts where token = ${token} returning token),
    recorded as (
      insert into operations (id, workflow_id, run_id, workflow_type, resource_type, resource_id, project_id, summary, created_by)
      values (${op.runId}, ${op.workflowId}, ${op.runId}, ${op.workflowType}, ${op.resourceType}, ${op.resource}, ${op.projectId}, ${op.summary}, ${op.userId})
      on conflict do nothing
      returning id
    ),
    answered as (
      update idempotency_keys set state = 'recorded', status = ${answer?.status ?? null}, headers = ${answer ? JSON.stringify(answer.headers) : null}::jsonb, body = ${answer?.body ?? null}
      where ${answering ? sql`scope = ${claim.scope} and key = ${claim.key} and state <> 'done' and owner is not distinct from ${claim.owner}` : sql`false`}
      returning key
    )
    select (select count(*) from crossed)::int as crossed_out, (select count(*) from answered)::int as answered`.execute(db);
  const row = rows[0]!;
  return { crossedOut: row.crossed_out > 0, ...(answering ? { answered: row.answered > 0 } : {}) };
}

/** The answer with its operation id filled in. */
function withOperationId(answer: StoredAnswer, operationId: string): StoredAnswer {
  const fill = (s: string) => s.replaceAll(OPERATION_ID_PLACEHOLDER, operationId);
  return { status: answer.status, body: fill(answer.body), headers: Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k, fill(v)])) };
}

/**
 * Records the answer a retry of the claim gets (state `recorded`), while the claim is still held by
 * `claim.owner`; false when it is not (a retry took it over).
 */
export async function recordAnswer(db: Kysely<Database>, claim: ClaimRef, answer: StoredAnswer, operationId?: string): Promise<boolean> {
  const filled = operationId ? withOperationId(answer, operationId) : answer;
  const res = await db
    .updateTable('idempotency_keys')
    .set({ state: 'recorded', status: filled.status, headers: JSON.stringify(filled.headers), body: filled.body })
    .where('scope', '=', claim.scope)
    .where('key', '=', claim.key)
    .where('state', '!=', 'done')
    .where(sql<boolean>`owner is not distinct from ${claim.owner}`)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/**
 * Settles the starts left behind by dead processes (or left too long): each run started is
 * recorded with the answer its request's retry gets; a create's start, whose rows never
 * committed, is crossed out (its run then gives up). `owner` limits it to one process's starts
 * (a retry taking over a dead process's Idempotency-Key settles them first).
 */
export async function recoverOperationStarts(deps: OperationStarterDeps, filter: { owner?: number } = {}): Promise<{ recorded: number; given_up: number }> {
  let q = deps.db.selectFrom('operation_starts').select(['token', 'owner', 'created_at']).orderBy('created_at').limit(200);
  if (filter.owner !== undefined) q = q.where('owner', '=', filter.owner);
  const starts = await q.execute();
  const alive = new Map<number, boolean>();
  const outcome = { recorded: 0, given_up: 0 };
  for (const s of starts) {
    const stale = Date.now() - s.created_at.getTime() > STALE_START_MS;
    if (!stale) {
      if (s.owner === null) continue;
      if (!alive.has(s.owner)) alive.set(s.owner, await isLeaseAlive(deps.db, s.owner));
      if (alive.get(s.owner)) continue;
    }
    const settled = await settleStart(deps, s.token);
    if (settled === 'recorded') outcome.recorded++;
    if (settled === 'given up') outcome.given_up++;
  }
  if (outcome.recorded || outcome.given_up) deps.logger.info(outcome, 'settled operation starts left by processes that died');
  return outcome;
}

async function settleStart(deps: OperationStarterDeps, token: string): Promise<'recorded' | 'given up' | 'later' | 'gone'> {
  return deps.db.transaction().execute(async (tx) => {
    // Locked while it is settled; one a recording transaction holds is skipped (it is being recorded).
    const start = await tx.selectFrom('operation_starts').selectAll().where('token', '=', token).forUpdate().skipLocked().executeTakeFirst();
    if (!start) return 'gone';
    if (start.records || !start.workflow_id) {
      await tx.deleteFrom('operation_starts').where('token', '=', token).execute();
      return 'given up';
    }
    const run = await findStartedRun(deps, start.workflow_id, token, start.created_at);
    if (run === 'later') return 'later';
    if (run) {
      await recordOperation(tx, {
        runId: run,
        workflowId: start.workflow_id,
        workflowType: start.workflow_type ?? 'unknown',
        resourceType: start.resource_type ?? 'unknown',
        resource: start.resource_id ?? 'unknown',
        projectId: start.project_id ?? '',
        summary: start.summary ?? '',
        userId: start.created_by,
      });
      if (start.claim_scope && start.claim_key && start.answer) {
        await recordAnswer(tx, { scope: start.claim_scope, key: start.claim_key, owner: start.owner }, start.answer, run);
      }
      deps.logger.info({ operationId: run, workflowId: start.workflow_id, workflowType: start.workflow_type }, 'recorded an operation whose starter died before recording it');
    }
    await tx.deleteFrom('operation_starts').where('token', '=', token).execute();
    return run ? 'recorded' : 'given up';
  });
}

/** The first run id of the run a start started: the current run of its workflow ID, else an earlier one (visibility); 'later' while unsure. */
async function findStartedRun(deps: OperationStarterDeps, workflowId: string, token: string, since: Date): Promise<string | undefined | 'later'> {
  try {
    const d = await deps.temporal.workflow.getHandle(workflowId).describe();
    if (startMemoOf(d)?.token === token) return d.raw.workflowExecutionInfo?.firstRunId || d.runId;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) return 'later';
  }
  // Superseded by a later run of the same ID (or never started): visibility knows the earlier ones.
  const after = new Date(since.getTime() - 5_000).toISOString();
  const query = `WorkflowId = '${workflowId.replaceAll("'", "\\'")}' AND StartTime >= '${after}'`;
  try {
    for await (const run of deps.temporal.workflow.list({ query })) {
      if (startMemoOf(run)?.token === token) return run.raw.firstRunId || run.runId;
    }
  } catch {
    return 'later';
  }
  return Date.now() - since.getTime() > VISIBILITY_GRACE_MS ? undefined : 'later';
}

/** Leases of processes that died with nothing left to settle: forgotten. */
export async function forgetDeadLeases(db: Db): Promise<number> {
  const leases = await db
    .selectFrom('process_leases')
    .select('id')
    .where('started_at', '<', new Date(Date.now() - 60_000))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('operation_starts').select('token').whereRef('operation_starts.owner', '=', 'process_leases.id'))))
    .execute();
  let forgotten = 0;
  for (const { id } of leases) {
    if (await isLeaseAlive(db, id)) continue;
    await db.deleteFrom('process_leases').where('id', '=', id).execute();
    forgotten++;
  }
  return forgotten;
}

/**
 * Runs recovery every `intervalMs` (API processes do, so a dead process's starts are settled
 * within seconds even when no client retries). Returns a stop function.
 */
export function startOperationRecovery(deps: OperationStarterDeps, intervalMs = 2_000): () => Promise<void> {
  let stopped = false;
  let round: Promise<unknown> = Promise.resolve();
  let rounds = 0;
  const timer = setInterval(() => {
    if (stopped) return;
    round = (async () => {
      await recoverOperationStarts(deps);
      if (++rounds % 30 === 0) await forgetDeadLeases(deps.db);
    })().catch((err: unknown) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'operation recovery round failed'));
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await round;
  };
}

/** The /v1/operations link every mutating response carries. */
export function operationLink(operationId: string): string {
  return `/v1/operations/${operationId}`;
}
