import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { createApp } from './app';
import { Cloud } from './cloud';
import { defaultTopology, topologyHosts, type TopologyOptions } from './hosts/topology';
import { migrate } from './kernel/migrations';
import { randomSeed } from './kernel/rng';
import { Store } from './kernel/store';

export interface SimcloudOptions {
  databaseUrl: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Base duration of each lifecycle transition. Default 1500. */
  transitionMs?: number;
  /** Up to this much is added at random to each transition. Default 500. */
  jitterMs?: number;
  /** Time from 'running' to a VM's DHCP lease (addresses). Default 2000. */
  leaseDelayMs?: number;
  /** A running pod's container writes a log line this often. Default 5000. */
  podLogIntervalMs?: number;
  /** Duration of a build's RUN step unless the build says otherwise. Default 300. */
  buildStepMs?: number;
  /** Builds running at once; more wait queued. Default 8. */
  maxConcurrentBuilds?: number;
  /** Limit for each git command of a build. Default 120000. */
  gitTimeoutMs?: number;
  /** The ssh program builds run for ssh git URLs. Default `ssh`. */
  gitSshCommand?: string;
  /** What the region services (flavor catalogs) accept over HTTP Basic. Dev defaults: simcloud / simcloud-dev-secret. */
  username?: string;
  password?: string;
  /** Makes fault draws and jitter repeatable. */
  seed?: number;
  /** Created on the first start only (an empty database). */
  topology?: Partial<TopologyOptions>;
  logger?: Logger;
}

export interface RunningSimcloud {
  url: string;
  port: number;
  /** Where builds clone; empty whenever no build runs. */
  buildWorkspace: string;
  /** Stops serving and waits for pending writes; pending transitions resume at the next start. */
  close(): Promise<void>;
}

export type { TopologyOptions } from './hosts/topology';
export { defaultTopology } from './hosts/topology';

export const DEV_CREDENTIALS = { username: 'simcloud', password: 'simcloud-dev-secret' };

export async function startSimcloud(options: SimcloudOptions): Promise<RunningSimcloud> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const topology = { ...defaultTopology, ...options.topology };
  const seed = options.seed ?? randomSeed();
  // Few connections: one group-commit writer at a time plus the load queries. synchronous_commit
  // off: a simulator's state survives its own restarts (the data is in Postgres before we reply);
  // only a Postgres crash could lose the last few hundred milliseconds, which is fine here.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, options: '-c synchronous_commit=off' });
  pool.on('error', (err) => logger.warn({ err }, 'simcloud: idle Postgres client error'));

  const cloud = new Cloud(
    new Store(pool, logger),
    {
      transitionMs: options.transitionMs ?? 1500,
      jitterMs: options.jitterMs ?? 500,
      leaseDelayMs: options.leaseDelayMs ?? 2000,
      podLogIntervalMs: options.podLogIntervalMs ?? 5000,
      builds: {
        stepMs: options.buildStepMs ?? 300,
        maxConcurrent: options.maxConcurrentBuilds ?? 8,
        gitTimeoutMs: options.gitTimeoutMs ?? 120_000,
        sshCommand: options.gitSshCommand,
      },
      seed,
    },
    logger,
  );
  try {
    await migrate(pool);
    const loadStarted = Date.now();
    await cloud.restore();
    logger.info({ ms: Date.now() - loadStarted, ...cloud.health() }, 'simcloud: state restored');
    if (!cloud.isInitialized) {
      await cloud.hosts.add(topologyHosts(topology));
      await cloud.markInitialized();
      logger.info({ regions: topology.regions, hostsPerRegion: topology.hostsPerRegion }, 'simcloud: default topology created');
    }
  } catch (err) {
    await cloud.shutdown().catch(() => {});
    await pool.end().catch(() => {});
    throw err;
  }

  const app = createApp({
    cloud,
    hostDefaults: topology,
    credentials: { username: options.username ?? DEV_CREDENTIALS.username, password: options.password ?? DEV_CREDENTIALS.password },
    logger,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: options.host ?? '127.0.0.1' }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  logger.info({ url, seed }, 'simcloud listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await cloud.shutdown();
      await pool.end();
      logger.info('simcloud stopped');
    })());

  return { url, port, buildWorkspace: cloud.builds.workspaceRoot, close };
}
