import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { CloudError, type LogChunk } from '../../cloud/contract';
import type { AppDeps } from '../deps';
import { loadApp, type PaasContext, type PaasEnv } from './context';
import { paasError } from './errors';
import { appErrors, AppIdParam, paasRoute } from './openapi';
import type { AppRow } from './views';

/**
 * Build and pod logs: the seed's answers (with its fixed texts before there is anything to show),
 * or a live Server-Sent Events stream with `Accept: text/event-stream` or `?follow=true`: one
 * `log` event per line (its id is the line number, so `Last-Event-ID` resumes), `status` events
 * while the app gets ready to build, and an `end` event when the build or pod ends.
 */

/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** One long-poll of the cloud's log (below the cloud client's request timeout). */
const LONG_POLL_MS = 5_000;
/** How often a stream waiting for the build to start looks at the app again. */
const STATUS_POLL_MS = 1_000;
/** Most pod-log lines a plain (not followed) answer carries. */
const POD_LOG_LINES = 10_000;

const BEFORE_BUILD = new Set(['CREATED', 'INITIALIZING', 'INITIALISED']);

const BuildLogSchema = z.object({ id: z.string(), name: z.string(), projectName: z.string(), log: z.string() }).openapi('NubomediaBuildLog');
const FollowQuery = z.object({ follow: z.enum(['true', 'false', '1', '0']).optional() });
const PodParams = AppIdParam.extend({ podName: z.string().min(1).max(253).openapi({ param: { name: 'podName', in: 'path' } }) });

const wantsStream = (c: PaasContext) => /\btext\/event-stream\b/.test(c.req.header('accept') ?? '') || ['true', '1'].includes(c.req.query('follow') ?? '');
const resumeOffset = (c: PaasContext) => {
  const last = Number(c.req.header('last-event-id'));
  return Number.isInteger(last) && last >= 0 ? last + 1 : 0;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A cloud read as an HTTP answer: gone → 404, an unreachable backend → 502. */
async function cloudRead<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CloudError && err.code === 'not_found') throw paasError(404, `${what} not found`);
    if (err instanceof CloudError) throw paasError(502, `Cannot read ${what}: ${err.message}`);
    throw err;
  }
}

/** The fixed text before the build has a log (upstream's), or null once it has one. */
function buildLogPlaceholder(app: AppRow): string | null {
  if (app.build_log !== null || app.build_id) return null;
  if (app.status === 'FAILED' && !app.resource_ok) return 'Something wrong on retrieving resources';
  if (BEFORE_BUILD.has(app.status)) return `The application is retrieving resources ${app.status}`;
  return `No build log: the application is ${app.status}`;
}

/** Writes events, a heartbeat when idle, and notices the client going away. */
class EventWriter {
  private lastWrite = Date.now();
  aborted = false;

  constructor(private readonly stream: SSEStreamingApi) {
    stream.onAbort(() => {
      this.aborted = true;
    });
  }

  async event(event: string, data: string, id?: number): Promise<void> {
    await this.stream.writeSSE({ event, data, ...(id !== undefined ? { id: String(id) } : {}) });
    this.lastWrite = Date.now();
  }

  async lines(chunk: LogChunk): Promise<void> {
    for (const [i, line] of chunk.lines.entries()) await this.event('log', line, chunk.offset + i);
  }

  async heartbeatIfIdle(): Promise<void> {
    if (Date.now() - this.lastWrite < HEARTBEAT_MS) return;
    await this.stream.write(': keep-alive\n\n');
    this.lastWrite = Date.now();
  }
}

/** Follows a live cloud log from `offset` until it ends or the client leaves; answers where it stopped. */
async function follow(out: EventWriter, read: (offset: number) => Promise<LogChunk>, offset: number): Promise<number> {
  while (!out.aborted) {
    const chunk = await read(offset);
    await out.lines(chunk);
    offset = chunk.nextOffset;
    if (chunk.done) break;
    await out.heartbeatIfIdle();
  }
  return offset;
}

export function registerLogRoutes(app: OpenAPIHono<PaasEnv>, deps: AppDeps): void {
  const reload = (id: string) => deps.db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();

  /** The archived log's lines from `offset` as events. */
  async function archived(out: EventWriter, log: string, offset: number) {
    const lines = log.split('\n').slice(offset);
    await out.lines({ offset, lines, nextOffset: offset + lines.length, done: true });
  }

  async function streamBuildLog(c: PaasContext, first: AppRow) {
    return streamSSE(c, async (stream) => {
      const out = new EventWriter(stream);
      let app: AppRow | undefined = first;
      let offset = resumeOffset(c);
      let status = '';
      // Until there is a build: tell each status, as the GUI's "Load log" did.
      while (app && !out.aborted && app.build_id === null && app.build_log === null && BEFORE_BUILD.has(app.status)) {
        if (app.status !== status) await out.event('status', (status = app.status));
        await out.heartbeatIfIdle();
        await sleep(STATUS_POLL_MS);
        app = await reload(first.id);
      }
      if (app?.build_id && app.build_log === null) {
        const buildId = app.build_id;
        try {
          offset = await follow(out, (from) => deps.cloud.readBuildLog(buildId, { offset: from, limit: 1000, waitMs: LONG_POLL_MS }), offset);
        } catch (err) {
          if (!(err instanceof CloudError && err.code === 'not_found')) throw err;
          app = await reload(first.id); // the build went (a failed deploy cleans up): its log stays with the app
        }
      }
      if (app?.build_log && !out.aborted) await archived(out, app.build_log, offset);
      const final = await reload(first.id);
      await out.event('end', JSON.stringify({ status: final?.status ?? 'DELETED', ...(final?.error ? { error: final.error } : {}) }));
    });
  }

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app/{id}/buildlogs', 'The build log of an app (SSE with Accept: text/event-stream or ?follow=true)'),
      request: { params: AppIdParam, query: FollowQuery },
      responses: {
        200: { description: 'The log so far, or its stream', content: { 'application/json': { schema: BuildLogSchema }, 'text/event-stream': { schema: z.string() } } },
        ...appErrors(404),
      },
    }),
    async (c) => {
      const app = await loadApp(c, deps, c.req.valid('param').id);
      if (wantsStream(c)) return streamBuildLog(c, app);
      const project = await deps.db.selectFrom('projects').select('name').where('id', '=', app.project_id).executeTakeFirst();
      let log = buildLogPlaceholder(app) ?? app.build_log;
      if (log === null) {
        const chunk = await cloudRead(`Build log of ${app.name}`, () => deps.cloud.readBuildLog(app.build_id!, { offset: 0, limit: 10_000 }));
        log = chunk.lines.join('\n');
      }
      return c.json({ id: app.id, name: app.name, projectName: project?.name ?? app.project_id, log }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...paasRoute('get', '/app/{id}/logs/{podName}', 'The log of one of the app’s pods, as text (SSE with Accept: text/event-stream or ?follow=true)'),
      request: { params: PodParams, query: FollowQuery },
      responses: { 200: { description: 'The log', content: { 'text/plain': { schema: z.string() }, 'text/event-stream': { schema: z.string() } } }, ...appErrors(404) },
    }),
    async (c) => {
      const { id, podName } = c.req.valid('param');
      const app = await loadApp(c, deps, id);
      const notYet = app.status === 'RUNNING' ? null : `Application Status ${app.status}, logs are not available until the status is RUNNING`;
      const pod = notYet ? undefined : await podOf(app, podName);
      if (wantsStream(c)) {
        return streamSSE(c, async (stream) => {
          const out = new EventWriter(stream);
          if (pod) await follow(out, (from) => deps.cloud.readPodLog(pod.id, { offset: from, limit: 1000, waitMs: LONG_POLL_MS }), resumeOffset(c));
          else await out.event('log', notYet!);
          await out.event('end', JSON.stringify({ status: app.status }));
        });
      }
      if (!pod) return c.text(notYet!, 200);
      const chunk = await cloudRead(`Pod ${podName}`, () => deps.cloud.readPodLog(pod.id, { offset: 0, limit: POD_LOG_LINES }));
      return c.text(chunk.lines.join('\n'), 200);
    },
  );

  /** One of the app's pods (its own or a supporting service's) by name; 404 otherwise. */
  async function podOf(app: AppRow, podName: string) {
    const services = await deps.db.selectFrom('app_services').select('pods').where('app_id', '=', app.id).execute();
    const pod = [...app.pods, ...services.flatMap((s) => s.pods)].find((p) => p.name === podName);
    if (!pod) throw paasError(404, `Pod ${podName} not found in application ${app.name}`);
    return pod;
  }
}
