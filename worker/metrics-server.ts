import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { RuntimeOptions } from '@temporalio/worker';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { metricsAuthorized } from '../lib/metrics-token';
import { operationMetrics, type OperationMetrics } from '../lib/operation-metrics';

/**
 * The worker's one /metrics endpoint (WORKER_METRICS_PORT): the Temporal SDK's own metrics (its
 * Prometheus exporter listens privately on WORKER_SDK_METRICS_ADDRESS, a free local port by
 * default) followed by the platform's operation metrics from prom-client. WORKER_METRICS_PORT=0
 * turns both off. A taken port is logged, never fatal: the worker matters more than its metrics.
 */

type MetricsConfig = Pick<Config, 'WORKER_METRICS_PORT' | 'WORKER_SDK_METRICS_ADDRESS' | 'HOST' | 'METRICS_TOKEN'>;

export interface WorkerMetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface WorkerMetrics {
  /** Spread into Runtime.install: starts the SDK's Prometheus exporter. */
  runtimeOptions: Pick<RuntimeOptions, 'telemetryOptions'>;
  /** Serves /metrics once the worker runs; undefined when metrics are off or the port is taken. */
  serve(logger: Logger): Promise<WorkerMetricsServer | undefined>;
}

async function freeLocalAddress(): Promise<string> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

async function sdkMetricsText(address: string): Promise<string> {
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
    const text = await res.text();
    return !text || text.endsWith('\n') ? text : `${text}\n`;
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`;
  }
}

/** Call before Runtime.install (it picks the SDK exporter's address). */
export async function prepareWorkerMetrics(config: MetricsConfig, metrics: OperationMetrics = operationMetrics()): Promise<WorkerMetrics> {
  if (!config.WORKER_METRICS_PORT) return { runtimeOptions: {}, serve: async () => undefined };
  const sdkAddress = config.WORKER_SDK_METRICS_ADDRESS ?? (await freeLocalAddress());
  return {
    runtimeOptions: { telemetryOptions: { metrics: { prometheus: { bindAddress: sdkAddress } } } },
    async serve(logger) {
      const server: Server = createServer((req, res) => {
        if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          return;
        }
        if (!metricsAuthorized(config.METRICS_TOKEN, req.headers.authorization)) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('metrics need Authorization: Bearer <METRICS_TOKEN>\n');
          return;
        }
        void Promise.all([sdkMetricsText(sdkAddress), metrics.registry.metrics()]).then(
          ([sdk, own]) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(sdk + own),
          (err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
        );
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.WORKER_METRICS_PORT, config.HOST, () => resolve());
        });
      } catch (err) {
        logger.warn({ err: String(err), port: config.WORKER_METRICS_PORT }, 'worker metrics not served');
        return undefined;
      }
      const { port } = server.address() as AddressInfo;
      const url = `http://${config.HOST}:${port}/metrics`;
      logger.info({ url }, 'worker metrics listening');
      return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    },
  };
}
