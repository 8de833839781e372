import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { createApp } from './app';
import { Faults } from './faults';
import { migrate } from './migrations';
import { mulberry32, randomSeed } from './rng';
import { Simcloud } from './simcloud';
import { Store } from './store';
import { defaultTopology, topologyHosts } from './topology';
import type { TopologyOptions } from './types';

export interface SimcloudOptions {
  databaseUrl: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Base duration of each lifecycle transition. */
  transitionMs?: number;
  /** Up to this much is added at random to each transition. */
  jitterMs?: number;
  /** Time from 'running' to the DHCP lease (addresses). */
  leaseDelayMs?: number;
  /** Makes fault draws and jitter repeatable. */
  seed?: number;
  /** Created on the first start only (an empty database). */
  topology?: Partial<TopologyOptions>;
  logger?: Logger;
}

export interface RunningSimcloud {
  url: string;
  port: number;
  /** Stops serving and waits for pending writes; pending transitions resume at the next start. */
  close(): Promise<void>;
}

export type { TopologyOptions } from './types';
export { defaultTopology } from './topology';

export async function startSimcloud(options: SimcloudOptions): Promise<RunningSimcloud> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const topology = { ...defaultTopology, ...options.topology };
  const seed = options.seed ?? randomSeed();
  // Few connections: one group-commit writer at a time plus the load queries. synchronous_commit
  // off: a simulator's state survives its own restarts (the data is in Postgres before we reply);
  // only a Postgres crash could lose the last few hundred milliseconds, which is fine here.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, options: '-c synchronous_commit=off' });
  pool.on('error', (err) => logger.warn({ err }, 'simcloud: idle Postgres client error'));

  let sim: Simcloud | undefined;
  let store: Store | undefined;
  try {
    await migrate(pool);
    store = new Store(pool, logger);
    const loadStarted = Date.now();
    const state = await store.load();
    sim = new Simcloud(
      store,
      { transitionMs: options.transitionMs ?? 1500, jitterMs: options.jitterMs ?? 500, leaseDelayMs: options.leaseDelayMs ?? 2000 },
      mulberry32(seed ^ 0x5eed),
      logger,
    );
    sim.restore(state);
    logger.info({ ms: Date.now() - loadStarted }, 'simcloud: state restored');
    if (!sim.isInitialized) {
      await sim.addHosts(topologyHosts(topology));
      await sim.markInitialized();
      logger.info({ regions: topology.regions, hostsPerRegion: topology.hostsPerRegion }, 'simcloud: default topology created');
    }
  } catch (err) {
    sim?.stop();
    await pool.end().catch(() => {});
    throw err;
  }

  const app = createApp({ sim, faults: new Faults(seed), hostDefaults: topology, logger });
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
      sim!.stop();
      await store!.drain();
      await pool.end();
      logger.info('simcloud stopped');
    })());

  return { url, port, close };
}
