import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { measureShape, shapeLabel, type CeilingTarget, type Shape } from './bench-ceiling';
import { ACTIVITY_CLOSED, CLOSED, HISTORY_EVENT } from './history-events';

/**
 * Where the time of a multi-step operation goes (issue 10: "where a goal is missed, the bench
 * output says where the time goes"). The p50 operation of a bench is split, from its workflow
 * history, into the API before its workflow started, workflow tasks, activities queued and
 * running, the cloud's own critical path measured by the bench (its own slice where the bench
 * knows when the cloud worked, else a part of the activities' time), children, timers, and the
 * server; then the empty workflow of its command shape
 * (workflows/bench.ts `emptyShape`) runs on the same server, worker and client, and "the cloud's
 * critical path + that engine ceiling" is printed as the realistic floor, with the ratio to it.
 */

/** A workflow run of an operation. */
export interface OperationRun {
  workflowId: string;
  runId: string;
}

/** One measured operation: its run, the window the bench timed (epoch ms) and the cloud's own time in it. */
export interface MeasuredOperation {
  run: OperationRun;
  /** When the client sent the request that started it. */
  sentAt: number;
  /** When the bench counts it done (its ready status written, or the client saw it done). */
  endAt: number;
  /** simcloud's own critical path for this operation (measured by the bench). */
  cloudMs: number;
  /** When the cloud did that work (epoch ms), where the bench knows it (e.g. its pods' creation → start). */
  cloudWindow?: { from: number; to: number };
}

/** "/v1/operations/<uuid>" (an answer's link or Operation-Location) → its workflow run. */
export async function operationRun(db: Db, operationLink: string | null | undefined): Promise<OperationRun> {
  const id = operationLink?.match(/\/v1\/operations\/([0-9a-f-]+)/)?.[1];
  if (!id) throw new Error(`no operation link in ${operationLink}`);
  const row = await db.selectFrom('operations').select(['workflow_id', 'run_id']).where('id', '=', id).executeTakeFirstOrThrow();
  return { workflowId: row.workflow_id, runId: row.run_id };
}

// ---------------------------------------------------------------------------------------------
// One history, split.

type Attributes = Record<string, unknown> | null | undefined;
export type HistoryEvent = { eventId?: unknown; eventType?: unknown; eventTime?: { seconds?: unknown; nanos?: unknown } | null } & Record<string, unknown>;

const T = HISTORY_EVENT;

const millis = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + Number(e.eventTime?.nanos ?? 0) / 1e6;
const idOf = (e: HistoryEvent) => Number(e.eventId);
/** The event's own attributes (`activityTaskScheduledEventAttributes`, …): the one field that ends in EventAttributes and is set. */
const attrs = (e: HistoryEvent): Record<string, unknown> =>
  (Object.entries(e).find(([k, v]) => k.endsWith('EventAttributes') && v)?.[1] as Attributes) ?? {};
const ref = (e: HistoryEvent, field: string) => Number(attrs(e)[field] ?? 0);

/** Milliseconds of one operation's timed window, by what it was waiting for; the parts add up to `totalMs`. */
export interface WallBreakdown {
  totalMs: number;
  /** The request sent → the workflow started: HTTP, authentication, the API's database writes, the start call. */
  beforeStartMs: number;
  /** A workflow task scheduled and not picked up yet (matching, pollers, a busy worker). */
  workflowTaskQueueMs: number;
  /** A workflow task running on the worker (workflow code and its local activities: the status writes). */
  workflowTaskRunMs: number;
  /** Nothing running, an activity scheduled and not started (matching; ~0 when eager). */
  activityQueueMs: number;
  /** An activity running: the cloud's own work (unless `cloudWindowMs` has it), and the activities' polls, database reads and cloud calls around it. */
  activityRunMs: number;
  /** Inside the cloud's window, whatever else was going on (only with a window). */
  cloudWindowMs: number;
  /** A child workflow being started, or awaited. */
  childMs: number;
  /** Only a workflow timer pending. */
  timerMs: number;
  /** Nothing pending on a worker: the server persisting events and dispatching the next task. */
  serverMs: number;
  /** The workflow closed → the bench saw it done (the API's answer, or the client's polling). */
  afterCloseMs: number;
}

/**
 * Splits the window [sentAt, endAt] of one operation. Inside its history, the time between
 * consecutive events (sorted by time: an activity's Started event is written at its end but
 * stamped at its start) goes to the first of: the cloud's own work (inside `cloud`, when given),
 * an activity running, a workflow task running, queued, an activity queued, a child, a timer;
 * else the server. Activities come before workflow tasks because in a fan-out a workflow task
 * often runs for one branch while another branch's cloud work goes on: that time is the cloud's.
 */
export function wallBreakdown(events: readonly HistoryEvent[], sentAt: number, endAt: number, cloud?: { from: number; to: number }): WallBreakdown {
  const CLOUD_FROM = -1;
  const CLOUD_TO = -2;
  const points = [
    ...events.map((e, i) => ({ type: Number(e.eventType), at: millis(e), i })),
    ...(cloud ? [{ type: CLOUD_FROM, at: cloud.from, i: events.length }, { type: CLOUD_TO, at: cloud.to, i: events.length + 1 }] : []),
  ];
  const sorted = points.sort((a, b) => a.at - b.at || a.i - b.i);
  const first = millis(events[0] ?? {}) || sentAt;
  const last = millis(events[events.length - 1] ?? {}) || sentAt;
  const out: WallBreakdown = {
    totalMs: endAt - sentAt,
    beforeStartMs: first - sentAt,
    workflowTaskQueueMs: 0,
    workflowTaskRunMs: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
    cloudWindowMs: 0,
    childMs: 0,
    timerMs: 0,
    serverMs: 0,
    afterCloseMs: Math.max(0, endAt - last),
  };
  let wft: 'queued' | 'running' | null = null;
  let actQueued = 0;
  let actRunning = 0;
  let children = 0;
  let timers = 0;
  let inCloud = false;
  for (let k = 0; k < sorted.length - 1; k++) {
    const e = sorted[k]!;
    if (e.type === CLOUD_FROM) inCloud = true;
    else if (e.type === CLOUD_TO) inCloud = false;
    else if (e.type === T.wftScheduled) wft = 'queued';
    else if (e.type === T.wftStarted) wft = 'running';
    else if (e.type === T.wftCompleted || e.type === T.wftTimedOut || e.type === T.wftFailed) wft = null;
    else if (e.type === T.actScheduled) actQueued++;
    else if (e.type === T.actStarted) [actQueued, actRunning] = [Math.max(0, actQueued - 1), actRunning + 1];
    else if (ACTIVITY_CLOSED.includes(e.type)) {
      // One that never logged Started (cancelled while queued) was queued.
      if (actRunning > 0) actRunning--;
      else actQueued = Math.max(0, actQueued - 1);
    } else if (e.type === T.childInitiated) children++;
    else if (e.type === T.childStartFailed || (T.childClosed as readonly number[]).includes(e.type)) children = Math.max(0, children - 1);
    else if (e.type === T.timerStarted) timers++;
    else if (e.type === T.timerFired || e.type === T.timerCanceled) timers = Math.max(0, timers - 1);
    // Clipped to the history and the window: a bench may count an operation done at its last status write, before the close.
    const ms = Math.max(0, Math.min(sorted[k + 1]!.at, endAt, last) - Math.max(Math.min(e.at, endAt), first));
    if (inCloud) out.cloudWindowMs += ms;
    else if (actRunning > 0) out.activityRunMs += ms;
    else if (wft === 'running') out.workflowTaskRunMs += ms;
    else if (wft === 'queued') out.workflowTaskQueueMs += ms;
    else if (actQueued > 0) out.activityQueueMs += ms;
    else if (children > 0) out.childMs += ms;
    else if (timers > 0) out.timerMs += ms;
    else out.serverMs += ms;
  }
  return out;
}

/** A local activity's marker (patch markers and others are not commands of the shape). */
const isLocalActivity = (e: HistoryEvent) => Number(e.eventType) === T.marker && attrs(e).markerName === 'core_local_activity';

/** The activity type a local activity's marker records (its data payload, JSON). */
function localActivityType(e: HistoryEvent): string | undefined {
  const details = attrs(e).details as Record<string, { payloads?: Array<{ data?: Uint8Array }> }> | undefined;
  const data = details?.data?.payloads?.[0]?.data;
  try {
    return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
  } catch {
    return undefined;
  }
}

/** Every command the run issued: local activities, activities, child workflows. */
export function historyShape(events: readonly HistoryEvent[]): Shape {
  const count = (type: number) => events.filter((e) => Number(e.eventType) === type).length;
  return { localActivities: events.filter(isLocalActivity).length, activities: count(T.actScheduled), childWorkflows: count(T.childInitiated) };
}

/**
 * The commands on the run's critical chain: walking back from its close, the workflow task that
 * closed it, what woke that task (an activity's end, a child's, a timer's), the task that issued
 * that command, and so on to the start. A task on the chain counts one local activity per type it
 * ran: markers carry no timing, and a task that records several branches' ends runs the same local
 * activity once per branch, side by side. In a fan-out this is one branch, the last to end; for a
 * sequential run, every command (two local activities of one type in a row count once).
 */
export function criticalChainShape(events: readonly HistoryEvent[]): Shape {
  const byId = new Map(events.map((e) => [idOf(e), e]));
  const chain = { localActivities: 0, activities: 0, childWorkflows: 0 };
  const wftCompletions = events.filter((e) => Number(e.eventType) === T.wftCompleted).map(idOf);
  const close = events.find((e) => CLOSED.includes(Number(e.eventType)));
  let task = close ? ref(close, 'workflowTaskCompletedEventId') : 0;
  const seen = new Set<number>();
  while (task && !seen.has(task)) {
    seen.add(task);
    const localActivities = events.filter((e) => isLocalActivity(e) && ref(e, 'workflowTaskCompletedEventId') === task);
    chain.localActivities += new Set(localActivities.map((e, i) => localActivityType(e) ?? `#${i}`)).size;
    const scheduled = ref(byId.get(task)!, 'scheduledEventId');
    const previousTask = Math.max(0, ...wftCompletions.filter((id) => id < scheduled));
    // What woke this task: the last event that ended something between the previous task and it.
    const wake = events
      .filter((e) => idOf(e) > previousTask && idOf(e) < scheduled)
      .reverse()
      .find((e) => [...ACTIVITY_CLOSED, T.timerFired, T.childStarted, ...T.childClosed, T.started].includes(Number(e.eventType)));
    const type = Number(wake?.eventType);
    if (!wake) task = previousTask; // woken by the previous task itself (a long local activity's heartbeat)
    else if (type === T.started) break;
    else if (ACTIVITY_CLOSED.includes(type)) {
      chain.activities++;
      task = ref(byId.get(ref(wake, 'scheduledEventId'))!, 'workflowTaskCompletedEventId');
    } else if (type === T.timerFired) {
      task = ref(byId.get(ref(wake, 'startedEventId'))!, 'workflowTaskCompletedEventId');
    } else {
      chain.childWorkflows++;
      task = ref(byId.get(ref(wake, 'initiatedEventId'))!, 'workflowTaskCompletedEventId');
    }
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------
// A bench's p50 operation, and its floor.

export interface FloorFigures {
  shape: Shape;
  /** The empty workflow of that shape at the bench's concurrency, p50 ms. */
  ceilingP50Ms: number;
  /** The cloud's critical path + that ceiling. */
  floorMs: number;
  /** The p50 operation's time over the floor (the goal: ≤ 1.2). */
  ratio: number;
}

export interface OperationBreakdownFigures {
  /** How many the bench ran at once (the empty workflows run at the same concurrency). */
  concurrency: number;
  p50: WallBreakdown & { cloudMs: number; cloudWindowKnown: boolean; run: OperationRun };
  /** The floor with every command the operation issued, one after another (as emptyShape runs them). */
  full: FloorFigures;
  /** The floor with only the commands on its critical chain (differs from `full` for fan-outs). */
  chain: FloorFigures;
}

const median = <Item>(items: Item[], key: (item: Item) => number) => [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;

/**
 * Splits the bench's p50 operation (the same pick as its p50: the middle one by timed window) and
 * measures the engine ceiling of its shape, in full and on its critical chain, with `concurrency`
 * clients on the bench's own server, worker and client.
 */
export async function breakDownOperations(
  temporal: Client,
  target: CeilingTarget,
  operations: MeasuredOperation[],
  concurrency: number,
): Promise<OperationBreakdownFigures> {
  const p50 = median(operations, (o) => o.endAt - o.sentAt);
  const history = await temporal.workflow.getHandle(p50.run.workflowId, p50.run.runId).fetchHistory();
  const events = (history.events ?? []) as unknown as HistoryEvent[];
  const split = wallBreakdown(events, p50.sentAt, p50.endAt, p50.cloudWindow);
  const count = Math.max(10, 2 * concurrency);
  const floorOf = async (shape: Shape): Promise<FloorFigures> => {
    const ceiling = await measureShape(target, shape, count, concurrency);
    const floorMs = p50.cloudMs + ceiling.p50Ms;
    return { shape, ceilingP50Ms: ceiling.p50Ms, floorMs: Math.round(floorMs), ratio: Math.round((split.totalMs / floorMs) * 100) / 100 };
  };
  const fullShape = historyShape(events);
  const chainShape = criticalChainShape(events);
  const full = await floorOf(fullShape);
  const chain = shapeLabel(chainShape) === shapeLabel(fullShape) ? full : await floorOf(chainShape);
  return { concurrency, p50: { ...split, cloudMs: p50.cloudMs, cloudWindowKnown: Boolean(p50.cloudWindow), run: p50.run }, full, chain };
}

const ms = (n: number) => `${Math.round(n)}`;

/** The breakdown's lines, under a bench's figures. */
export function printBreakdown(f: OperationBreakdownFigures, indent = '  '): void {
  const b = f.p50;
  const line = (what: string, value: string) => console.log(`${indent}  ${what.padEnd(68)} ${value}`);
  console.log(`${indent}where the p50 operation's ${ms(b.totalMs)} ms go (from its workflow history, ms):`);
  line('before its workflow started (HTTP, auth, API database writes, start)', ms(b.beforeStartMs));
  line('workflow tasks scheduled → completed (queued + running, with LAs)', `${ms(b.workflowTaskQueueMs + b.workflowTaskRunMs)} (${ms(b.workflowTaskQueueMs)} + ${ms(b.workflowTaskRunMs)})`);
  line('activities queued', ms(b.activityQueueMs));
  if (b.cloudWindowKnown) {
    line("the cloud's own work (its window in this operation)", ms(b.cloudWindowMs));
    line('activities running besides it (polls, database, cloud HTTP calls)', ms(b.activityRunMs));
  } else {
    // The cloud's time was measured apart: within the activities' time, the rest is theirs.
    line('activities running', ms(b.activityRunMs));
    line("  of which the cloud's own critical path (measured driven directly)", ms(b.cloudMs));
    line('  and the rest (polls, database, cloud HTTP calls)', ms(b.activityRunMs - b.cloudMs));
  }
  line('timers / children / server between tasks', `${ms(b.timerMs)} / ${ms(b.childMs)} / ${ms(b.serverMs)}`);
  line('after the workflow closed, until the bench saw it done', ms(b.afterCloseMs));
  const floor = (label: string, x: FloorFigures) =>
    console.log(
      `${indent}critical path + engine ceiling of ${label} (${shapeLabel(x.shape)}, ${f.concurrency} at once): ${ms(b.cloudMs)} + ${ms(x.ceilingP50Ms)} = ${x.floorMs} ms; ratio to it ${x.ratio}×`,
    );
  floor(f.chain === f.full ? 'this shape' : 'this shape, every command in turn', f.full);
  if (f.chain !== f.full) floor('its critical chain (the realistic floor of parallel branches)', f.chain);
}
