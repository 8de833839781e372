/**
 * The size and the disruptions of a chaos run. `npm run chaos -- --help` lists them; every flag
 * also reads an environment variable (CHAOS_<FLAG>), so CI can size a run without a command line.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

export const SURFACES = ['compute', 'runtimes', 'flavors', 'clusters', 'apps'] as const;
export type Surface = (typeof SURFACES)[number];

export interface ChaosOptions {
  /** Seconds of load; the disruptions are placed at fixed fractions of it (see PLAN in disruptions.ts). */
  durationS: number;
  /** Clients running lifecycles at once (each one resource's life at a time). */
  concurrency: number;
  surfaces: Surface[];
  apis: number;
  workers: number;
  /** R1: SIGKILLs of a worker process (each restarted after `workerDownMs`). */
  workerKills: number;
  workerDownMs: number;
  /** R2: the Temporal dev server is stopped and started again (same port, same SQLite file) this many times (0 or 1). */
  temporalRestarts: number;
  temporalDownMs: number;
  /** R3: fault probabilities of the fault phases, in order (0.05, 0.2, 0.5). */
  faultPhases: number[];
  /** R3: fill every host to the brim (filler VMs) for a while, so creates meet real capacity exhaustion. */
  fillHosts: boolean;
  /** R3: take the busiest host down for a while (its VMs go to error, its pods fail), then up again. */
  hostOutage: boolean;
  /** After the load: how long operations get to end before the ones still running count as stuck. */
  settleS: number;
  /** The final clean-up (every resource the run made is deleted through the API): its bound. */
  cleanupS: number;
  /** One operation followed by a client: after this it moves on (the audit still sees it). */
  operationTimeoutS: number;
  /** A request retried through 5xx answers and silences (same Idempotency-Key): its bound. */
  requestTimeoutS: number;
  /** Share of POSTs a client sends twice with the same Idempotency-Key (a retry after a lost answer). */
  replayRate: number;
  /** Share of long operations (creates, launches, deploys, scale-outs) a client cancels soon after they start. */
  cancelRate: number;
  /** Share of lifecycles that keep their resource (alive at the audit; the clean-up deletes it). */
  keepRate: number;
  /** simcloud's fault draws and jitter. */
  seed: number;
  /** simcloud: each VM transition (ms). */
  transitionMs: number;
  databaseUrl?: string;
  /** A prebuilt workflow bundle (tests pass theirs); else one is built. */
  workflowBundlePath?: string;
  /** Child process output on the console. */
  verbose: boolean;
  /** Progress lines (the test turns them off). */
  log: (line: string) => void;
}

export const DEFAULTS: Omit<ChaosOptions, 'log'> = {
  durationS: 150,
  concurrency: 6,
  surfaces: [...SURFACES],
  apis: 1,
  workers: 2,
  workerKills: 3,
  workerDownMs: 3_000,
  temporalRestarts: 1,
  temporalDownMs: 3_000,
  faultPhases: [0.05, 0.2, 0.5],
  fillHosts: true,
  hostOutage: true,
  settleS: 240,
  cleanupS: 240,
  operationTimeoutS: 180,
  requestTimeoutS: 120,
  replayRate: 0.25,
  keepRate: 0.3,
  cancelRate: 0.1,
  seed: 42,
  transitionMs: 50,
  verbose: false,
};

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a number ≥ 0`);
  return n;
};
const int = (what: string) => (v: string) => {
  const n = positive(what)(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number`);
  return n;
};
const surfaceList = (v: string): Surface[] => {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(SURFACES as readonly string[]).includes(n)) throw new InvalidArgumentError(`unknown surface '${n}' (${SURFACES.join(', ')})`);
  return names as Surface[];
};
const probabilities = (v: string): number[] => {
  if (v.trim() === '' || v === 'none') return [];
  return v.split(',').map((s) => {
    const n = Number(s.trim().replace(/%$/, '')) / (s.trim().endsWith('%') ? 100 : 1);
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`fault phase '${s}' must be a probability (0.2) or a percentage (20%)`);
    return n;
  });
};
const bool = (v: string) => !['0', 'false', 'no', 'off'].includes(v.toLowerCase());

/** Parses a command line (and CHAOS_* variables); commander prints --help and usage errors itself. */
export function parseOptions(argv: string[]): Omit<ChaosOptions, 'log'> {
  const program = new Command('npm run chaos --')
    .description(
      'Chaos run: a platform of processes (API, workers, simcloud, a Temporal dev server on a SQLite file) under a mixed load over every surface,\n' +
        'while workers are SIGKILLed (R1), Temporal restarts (R2) and simcloud faults rise 5 % → 20 % → 50 % with lost responses and\n' +
        'capacity exhaustion (R3). Prints per surface: operations started, terminal, stuck, duplicates, leaks; exits 1 on any stuck, duplicate or leak.',
    )
    .helpOption('-h, --help');
  const opt = (flags: string, description: string, parse: (v: string) => unknown, fallback: unknown, env: string) =>
    program.addOption(new Option(flags, description).argParser(parse as (v: string, prev: unknown) => unknown).default(fallback).env(`CHAOS_${env}`));
  opt('--duration <s>', 'seconds of load', positive('--duration'), DEFAULTS.durationS, 'DURATION');
  opt('--concurrency <n>', 'clients, each running one resource lifecycle at a time', int('--concurrency'), DEFAULTS.concurrency, 'CONCURRENCY');
  opt('--surfaces <list>', `surfaces to load (${SURFACES.join(',')})`, surfaceList, DEFAULTS.surfaces.join(','), 'SURFACES');
  opt('--apis <n>', 'API processes (never killed)', int('--apis'), DEFAULTS.apis, 'APIS');
  opt('--workers <n>', 'worker processes', int('--workers'), DEFAULTS.workers, 'WORKERS');
  opt('--worker-kills <n>', 'R1: worker SIGKILLs (each worker restarted after --worker-down)', int('--worker-kills'), DEFAULTS.workerKills, 'WORKER_KILLS');
  opt('--worker-down <ms>', 'R1: how long a killed worker stays down', int('--worker-down'), DEFAULTS.workerDownMs, 'WORKER_DOWN');
  opt('--temporal-restarts <n>', 'R2: Temporal dev server restarts (same port and SQLite file)', int('--temporal-restarts'), DEFAULTS.temporalRestarts, 'TEMPORAL_RESTARTS');
  opt('--temporal-down <ms>', 'R2: how long Temporal stays down', int('--temporal-down'), DEFAULTS.temporalDownMs, 'TEMPORAL_DOWN');
  opt('--fault-phases <list>', "R3: fault probability per phase ('5%,20%,50%'; 'none')", probabilities, DEFAULTS.faultPhases.map((p) => `${p * 100}%`).join(','), 'FAULT_PHASES');
  opt('--fill-hosts <bool>', 'R3: fill every host for a while (capacity exhaustion)', bool, String(DEFAULTS.fillHosts), 'FILL_HOSTS');
  opt('--host-outage <bool>', 'R3: take the busiest host down for a while (its VMs fail, its pods fail), then up', bool, String(DEFAULTS.hostOutage), 'HOST_OUTAGE');
  opt('--settle <s>', 'after the load, how long operations get to end before counting as stuck', positive('--settle'), DEFAULTS.settleS, 'SETTLE');
  opt('--cleanup <s>', 'bound of the final clean-up through the API', positive('--cleanup'), DEFAULTS.cleanupS, 'CLEANUP');
  opt('--operation-timeout <s>', 'how long a client follows one operation', positive('--operation-timeout'), DEFAULTS.operationTimeoutS, 'OPERATION_TIMEOUT');
  opt('--request-timeout <s>', 'how long a client retries one request through 5xx and silence', positive('--request-timeout'), DEFAULTS.requestTimeoutS, 'REQUEST_TIMEOUT');
  opt('--replay-rate <p>', 'share of POSTs sent twice with the same Idempotency-Key', positive('--replay-rate'), DEFAULTS.replayRate, 'REPLAY_RATE');
  opt('--cancel-rate <p>', 'share of long operations (creates, launches, deploys, scale-outs) cancelled soon after they start', positive('--cancel-rate'), DEFAULTS.cancelRate, 'CANCEL_RATE');
  opt('--keep-rate <p>', 'share of lifecycles that keep their resource for the audit (the clean-up deletes it)', positive('--keep-rate'), DEFAULTS.keepRate, 'KEEP_RATE');
  opt('--seed <n>', "simcloud's seed (fault draws, jitter)", int('--seed'), DEFAULTS.seed, 'SEED');
  opt('--transition-ms <ms>', 'simcloud: each VM transition', int('--transition-ms'), DEFAULTS.transitionMs, 'TRANSITION_MS');
  opt('--database-url <url>', 'a Postgres server (a throwaway database is made on it); default DATABASE_URL or the local one', String, undefined, 'DATABASE_URL');
  opt('--verbose <bool>', 'print every child process line', bool, 'false', 'VERBOSE');
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  const surfaces = typeof o.surfaces === 'string' ? surfaceList(o.surfaces) : (o.surfaces as Surface[]);
  const phases = typeof o.faultPhases === 'string' ? probabilities(o.faultPhases) : (o.faultPhases as number[]);
  return {
    durationS: Number(o.duration),
    concurrency: Number(o.concurrency),
    surfaces,
    apis: Math.max(1, Number(o.apis)),
    workers: Math.max(1, Number(o.workers)),
    workerKills: Number(o.workerKills),
    workerDownMs: Number(o.workerDown),
    temporalRestarts: Math.min(1, Number(o.temporalRestarts)),
    temporalDownMs: Number(o.temporalDown),
    faultPhases: phases,
    fillHosts: typeof o.fillHosts === 'string' ? bool(o.fillHosts) : Boolean(o.fillHosts),
    hostOutage: typeof o.hostOutage === 'string' ? bool(o.hostOutage) : Boolean(o.hostOutage),
    settleS: Number(o.settle),
    cleanupS: Number(o.cleanup),
    operationTimeoutS: Number(o.operationTimeout),
    requestTimeoutS: Number(o.requestTimeout),
    replayRate: Math.min(1, Number(o.replayRate)),
    keepRate: Math.min(1, Number(o.keepRate)),
    cancelRate: Math.min(1, Number(o.cancelRate)),
    seed: Number(o.seed),
    transitionMs: Number(o.transitionMs),
    databaseUrl: o.databaseUrl ?? process.env.DATABASE_URL,
    verbose: typeof o.verbose === 'string' ? bool(o.verbose) : Boolean(o.verbose),
  };
}
