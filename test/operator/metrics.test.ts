import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventPumpWorkflowId } from '../../db/webhooks';
import { freePort } from '../../scripts/processes';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * Prometheus metrics: the API's /metrics (in process), and the production worker entry point as its
 * own process serving one /metrics with the Temporal SDK's metrics and the operation metrics.
 */
let stack: Stack;
let kahu: KahuSession;
let worker: ChildProcess | undefined;
let workerMetricsUrl: string;
// Both /metrics are guarded, as a production deployment sets it (Prometheus sends the bearer token).
const METRICS_TOKEN = 'scrape-token-5c1e9a0d7f';
const scraper = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

/** Sample lines of a metric whose labels include `labels`. */
const samples = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));

/** The value of the one sample with these labels, e.g. sample(text, 'provisio_operations_started_total', { workflow_type: 'createInstance' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(text, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0];
}

beforeAll(async () => {
  stack = await startStack({ noWorker: true, config: { METRICS_TOKEN } });
  kahu = await kahuSession(stack);
  const port = await freePort();
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  const env: Record<string, string | undefined> = { ...process.env, ...stack.env, LOG_LEVEL: 'error', WORKER_METRICS_PORT: String(port) };
  // Bundle at start, as production does without a prebuilt bundle: the metrics interceptor is included.
  delete env.WORKFLOW_BUNDLE_PATH;
  worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(async () => ((await stack.request('/readyz')).status === 200 ? true : undefined), 120_000, 500);
});
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
  }
  if (stack) await stack.temporal.workflow.getHandle(eventPumpWorkflowId(stack.config.WORKFLOW_ID_PREFIX)).terminate('test over').catch(() => {});
  await stack?.stop();
});

describe('API /metrics', () => {
  it('counts requests by route template, method and status, with latency histograms', async () => {
    const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'measured' });
    expect(created.status).toBe(201);
    const n = created.headers.get('location')!.split('/')[4]!;
    await kahu.get(`/v0/compute/instance/${n}`);
    await kahu.get(`/v0/compute/instance/${n}`);
    await kahu.get('/v0/compute/instance/999999');
    await stack.request('/definitely/not/here');
    await stack.request(`/v0/compute/instance/${n}`); // 401 from the auth middleware

    expect((await stack.request('/metrics')).status).toBe(401);
    expect((await stack.request('/metrics', { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    const res = await stack.request('/metrics', scraper);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const get = { method: 'GET', route: '/v0/compute/instance/:n' };
    expect(sample(text, 'provisio_http_requests_total', { ...get, status: '200' })).toBe(2);
    expect(sample(text, 'provisio_http_requests_total', { ...get, status: '404' })).toBe(1);
    expect(sample(text, 'provisio_http_requests_total', { ...get, status: '401' })).toBe(1);
    expect(sample(text, 'provisio_http_requests_total', { method: 'POST', route: '/v0/compute/instance', status: '201' })).toBe(1);
    expect(sample(text, 'provisio_http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(sample(text, 'provisio_http_request_duration_seconds_count', { ...get, status: '200' })).toBe(2);
    expect(sample(text, 'provisio_http_request_duration_seconds_bucket', { ...get, status: '200', le: '+Inf' })).toBe(2);
    expect(text).toContain('provisio_api_process_cpu_seconds_total');
    // Never a raw path as a label: the instance number and the unknown path do not appear.
    expect(text).not.toContain(`/instance/${n}"`);
    expect(text).not.toContain('/definitely/not/here');
  });
});

describe('worker /metrics', () => {
  it('serves the Temporal SDK metrics and the operation metrics on one endpoint', async () => {
    const platform = platformClient(stack);
    const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'counted' });
    expect(created.status).toBe(201);
    expect((await kahu.post('/v0/compute/size/', { name: 'colossal', ncpu: '256', memory: '4000000' })).status).toBe(201);
    const failed = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: 'colossal', name: 'too-big' });
    expect(failed.status).toBe(409);
    const slow = await kahu.post(`/v0/compute/instance/${created.headers.get('location')!.split('/')[4]}/start`, {}, { prefer: 'respond-async' });
    const startOp = (await slow.json()).operation;
    await platform.post(`${startOp}/cancel`); // cancelled, or already completed: either is counted once

    const text = await waitFor(async () => {
      const res = await fetch(workerMetricsUrl, scraper).catch(() => undefined);
      if (!res || res.status !== 200) return undefined;
      const body = await res.text();
      const closed = samples(body, 'provisio_operations_closed_total', { surface: 'compute' }).reduce((a, b) => a + b, 0);
      return closed >= 4 ? body : undefined;
    }, 60_000, 1000);

    // The Temporal SDK's own metrics (its Prometheus exporter, proxied).
    expect(text).toMatch(/^temporal_[a-z_]+/m);
    expect(text).toContain('temporal_workflow_completed');
    // Operation metrics by workflow type and surface.
    // (three creates: 'measured' in the API test, 'counted', and 'too-big' that failed for capacity)
    const create = { workflow_type: 'createInstance', surface: 'compute' };
    expect(sample(text, 'provisio_operations_started_total', create)).toBe(3);
    expect(sample(text, 'provisio_operations_closed_total', { ...create, outcome: 'completed' })).toBe(2);
    expect(sample(text, 'provisio_operations_closed_total', { ...create, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'provisio_operation_duration_seconds_count', { ...create, outcome: 'completed' })).toBe(2);
    const start = { workflow_type: 'startInstance', surface: 'compute' };
    expect(sample(text, 'provisio_operations_started_total', start)).toBe(1);
    const startClosed = ['completed', 'cancelled', 'failed'].map((outcome) => sample(text, 'provisio_operations_closed_total', { ...start, outcome }) ?? 0);
    expect(startClosed.reduce((a, b) => a + b, 0)).toBe(1);
    // Not operations: supervisors, the event pump, schedules.
    const ours = text.split('\n').filter((l) => l.startsWith('provisio_operation')).join('\n');
    expect(ours).not.toContain('workflow_type="watchInstanceAddress"');
    expect(ours).not.toContain('workflow_type="pumpPlatformEvents"');
    expect(ours).not.toContain('workflow_type="superviseInstances"');
    expect(text).toContain('provisio_worker_process_cpu_seconds_total');
    expect((await fetch(workerMetricsUrl)).status).toBe(401);
  }, 120_000);
});
