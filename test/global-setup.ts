/**
 * vitest global setup: ONE Temporal dev server, ONE database and ONE workflow bundle for the run.
 *
 * Tests read them with `inject('temporalAddress')`, `inject('databaseUrl')` and
 * `inject('workflowBundlePath')` (load with `{ workflowBundle: { codePath } }`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
import { ensureTemporalCli } from '../scripts/install-temporal';
import { projectRoot } from '../scripts/processes';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/temporal-dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the shared Temporal dev server (in-memory, search attributes registered). */
    temporalAddress: string;
    temporalNamespace: string;
    /** Postgres for the run: DATABASE_URL, local 127.0.0.1:5432, or an embedded one. */
    databaseUrl: string;
    /** Absolute path of the prebuilt workflow bundle (workflows/index.ts). */
    workflowBundlePath: string;
  }
}

const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const dataDir = path.join(projectRoot, '.data');

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function log(message: string) {
  console.log(`[global-setup] ${message}`);
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export default async function setup(project: TestProject) {
  const started = Date.now();
  let temporal: TemporalDevServer | undefined;
  let embedded: EmbeddedPostgres | undefined;
  let bundlePath: string | undefined;

  const teardown = async () => {
    await Promise.allSettled([
      temporal?.stop(),
      embedded?.stop(),
      bundlePath ? fs.rm(bundlePath, { force: true }) : undefined,
    ]);
  };

  const temporalTail: string[] = [];
  const startTemporal = async () => {
    const t0 = Date.now();
    const cliPath = await ensureTemporalCli();
    temporal = await startTemporalDevServer({
      cliPath,
      port: 0,
      uiPort: false,
      logLevel: 'error',
      onLine: (line) => {
        temporalTail.push(line);
        if (temporalTail.length > 40) temporalTail.shift();
      },
    });
    log(`Temporal dev server at ${temporal.address} (${seconds(t0)})`);
    return temporal;
  };

  const startDatabase = async () => {
    const t0 = Date.now();
    if (process.env.DATABASE_URL) {
      log('database: DATABASE_URL');
      return process.env.DATABASE_URL;
    }
    // PROVISIO_TEST_DB=embedded skips the local server check (exercises the embedded path).
    if (process.env.PROVISIO_TEST_DB !== 'embedded' && (await accepts(LOCAL_POSTGRES_URL))) {
      log(`database: ${LOCAL_POSTGRES_URL}`);
      return LOCAL_POSTGRES_URL;
    }
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'test-postgres'), port: 0 });
    log(`database: embedded Postgres ${embedded.url} (${seconds(t0)})`);
    return embedded.url;
  };

  const buildBundle = async () => {
    const t0 = Date.now();
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const { WORKFLOW_INTERCEPTOR_MODULES } = await import('../worker/operation-metrics');
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(projectRoot, 'workflows', 'index.ts'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as any,
    });
    const dir = path.join(dataDir, 'test');
    await fs.mkdir(dir, { recursive: true });
    bundlePath = path.join(dir, `workflow-bundle-${process.pid}.js`);
    await fs.writeFile(bundlePath, code);
    log(`workflow bundle ${path.relative(projectRoot, bundlePath)} (${(code.length / 1024).toFixed(0)} KiB, ${seconds(t0)})`);
    return bundlePath;
  };

  try {
    const [server, databaseUrl, workflowBundlePath] = await Promise.all([
      startTemporal(),
      startDatabase(),
      buildBundle(),
    ]);
    project.provide('temporalAddress', server.address);
    project.provide('temporalNamespace', server.namespace);
    project.provide('databaseUrl', databaseUrl);
    project.provide('workflowBundlePath', workflowBundlePath);
    log(`ready in ${seconds(started)}`);
  } catch (err) {
    await teardown();
    if (temporalTail.length) console.error(`[global-setup] Temporal output:\n${temporalTail.join('\n')}`);
    throw err;
  }

  // Surface an unexpected Temporal crash mid-run instead of a wall of connection errors.
  let stopping = false;
  void temporal?.process.exited.then((info) => {
    if (!stopping) console.error(`[global-setup] Temporal dev server exited unexpectedly (code ${info.code}, signal ${info.signal})\n${temporalTail.join('\n')}`);
  });
  return async () => {
    stopping = true;
    await teardown();
  };
}
