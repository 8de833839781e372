/**
 * Starts `temporal server start-dev` as a child process with Provisio's custom search attributes
 * registered, waits until the frontend answers and the attributes are visible, and stops it by PID.
 */
import { Connection } from '@temporalio/client';
import { freePort, isPortFree, spawnManaged, waitUntil, type ManagedProcess } from './processes';

/** Custom search attributes every Provisio workflow sets (DESIGN §3). */
export const SEARCH_ATTRIBUTES = { ResourceType: 'Keyword', ResourceId: 'Keyword', ProjectId: 'Keyword' } as const;

export interface TemporalDevServerOptions {
  cliPath: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one; `false` runs headless. */
  uiPort?: number | false;
  /** SQLite file for persistence; in-memory when omitted. */
  dbFilename?: string;
  /** With a file: WAL journal and synchronous=OFF (default true; false only to measure the difference). */
  sqlitePragmas?: boolean;
  namespace?: string;
  /** The server's Prometheus /metrics port (matching and persistence figures); default: a random one. */
  metricsPort?: number;
  /** Server log level: debug, info, warn, error, never. */
  logLevel?: string;
  /** Per-line output handler; default prints with a `[temporal]` prefix. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  readyTimeoutMs?: number;
  /**
   * Dynamic config (`--dynamic-config-value KEY=VALUE`); merged over PLATFORM_DYNAMIC_CONFIG.
   * `null` removes a platform default (the ceiling bench compares settings this way).
   */
  dynamicConfig?: Record<string, string | number | boolean | null>;
}

/**
 * Server settings the platform runs with, measured by `npm run bench` (scripts/bench-ceiling.ts;
 * figures in the README's "Reliability and performance"):
 * - eager activity execution: an activity scheduled by a workflow task goes back to the same
 *   worker in the task's reply instead of through a task queue poll (one server round trip less);
 * - one task queue partition: the dev server has one matching host, and with the default four
 *   partitions a task written to a partition whose pollers are all parked elsewhere waits for the
 *   forwarder, which costs tens of milliseconds per task at low load.
 */
export const PLATFORM_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  'system.enableActivityEagerExecution': true,
  'system.enableEagerWorkflowStart': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export interface TemporalDevServer {
  address: string;
  port: number;
  uiUrl?: string;
  namespace: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const host = '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = options.port ? options.port : await freePort(host);
  const uiPort = options.uiPort === false ? undefined : options.uiPort ? options.uiPort : await freePort(host);
  for (const [what, p] of [
    ['gRPC', port],
    ['UI', uiPort],
  ] as const) {
    if (p !== undefined && !(await isPortFree(p, host))) {
      throw new Error(`Temporal dev server ${what} port ${host}:${p} is already in use (another dev server running?)`);
    }
  }

  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', options.logLevel ?? 'error');
  if (options.metricsPort) args.push('--metrics-port', String(options.metricsPort));
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFilename) {
    args.push('--db-filename', options.dbFilename);
    if (options.sqlitePragmas !== false) args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...PLATFORM_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    if (value !== null) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const proc = spawnManaged('temporal', options.cliPath, args, { onLine: options.onLine, detached: true });
  const address = `${host}:${port}`;
  const stop = async () => {
    await proc.stop(15_000);
  };

  try {
    await Promise.race([
      waitUntil(() => isReady(address, namespace), {
        timeoutMs: options.readyTimeoutMs ?? 60_000,
        intervalMs: 200,
        what: `Temporal dev server at ${address}`,
      }),
      proc.exited.then((info) => {
        throw new Error(
          `Temporal dev server exited during startup (code ${info.code}, signal ${info.signal}):\n${proc.tail()}`,
        );
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    address,
    port,
    uiUrl: uiPort === undefined ? undefined : `http://${host}:${uiPort}`,
    namespace,
    process: proc,
    stop,
  };
}

/** Frontend answers, namespace exists, and the custom search attributes are registered. */
async function isReady(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.keys(SEARCH_ATTRIBUTES).every((name) => customAttributes && name in customAttributes);
  } finally {
    await connection.close();
  }
}
