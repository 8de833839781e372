/**
 * The disruptions of a chaos run, placed at fractions of the load's duration D:
 *
 *   0 ──── 0.1 ────────────── 0.85 ──── 1.0
 *   calm   fault phases, evenly  calm (faults off; lifecycles in flight finish)
 *          (5 % → 20 % → 50 %)
 *   R1: worker SIGKILLs spread evenly over [0.1, 0.85] (each restarted after --worker-down)
 *   R2: the Temporal dev server stopped and started again at 0.6
 *   R3: every host filled to the brim with filler VMs over [0.45, 0.55]; the busiest host down
 *       over [0.65, 0.75] (its VMs go to error, its pods fail; host_up restarts neither)
 *
 * A fault phase at probability p installs three simcloud rules on every operation: the reply is
 * lost after the work is done (mode lost_response, 0.3·p), creates of VMs and deployments are
 * refused for capacity (409 `capacity`, 0.2·p), anything answers 503 (0.5·p) — about p in all
 * (rules draw in that order; the first that fires decides).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimcloudAdmin } from '../../cloud/simcloud-client';
import type { Ledger } from './ledger';
import type { ChaosOptions } from './options';
import type { ChaosPlatform } from './platform';

export interface Disruption {
  /** Fraction of the load's duration. */
  at: number;
  what: string;
  run(): Promise<string>;
}

export const FILLER_PREFIX = 'chaos-filler-';

/** simcloud rules of one fault phase (see the header). */
export function faultRules(p: number) {
  return [
    { operation: '*', probability: 0.3 * p, mode: 'lost_response' as const },
    { operation: 'createVm', probability: 0.2 * p, status: 409, code: 'capacity' as const },
    { operation: 'createDeployment', probability: 0.2 * p, status: 409, code: 'capacity' as const },
    { operation: 'scaleDeployment', probability: 0.2 * p, status: 409, code: 'capacity' as const },
    { operation: '*', probability: 0.5 * p, status: 503 },
  ];
}

/** Tries a cloud call until it answers (faults are on while the fillers come and go). */
async function persist<T>(fn: () => Promise<T>, attempts = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(200);
    }
  }
}

/**
 * Capacity exhaustion: one filler VM per host takes every free CPU and MB (it is not the
 * platform's; the audit leaves fillers out). Returns a function that removes them.
 */
export async function fillHosts(cloud: SimcloudAdmin): Promise<{ fillers: string[]; release(): Promise<void> }> {
  const hosts = (await persist(() => cloud.listHosts())).filter((h) => h.state === 'up');
  const placed = await Promise.all(
    hosts.map(async (host) => {
      const cpu = Math.floor(host.cpu - host.usedCpu);
      const memoryMb = host.memoryMb - host.usedMemoryMb;
      if (cpu < 1 || memoryMb < 1) return undefined;
      const token = randomUUID();
      try {
        return (await persist(() => cloud.createVm({ clientToken: token, name: `${FILLER_PREFIX}${host.name}`, cpu, memoryMb, diskMb: 1, hostId: host.id }))).id;
      } catch {
        return undefined; // the host filled up meanwhile (the platform placed something): full enough
      }
    }),
  );
  const fillers = placed.filter((id): id is string => id !== undefined);
  return {
    fillers,
    async release() {
      await Promise.all(fillers.map((id) => persist(() => cloud.deleteVm(id))));
    },
  };
}

/** Faults simcloud fired during the run, by kind. */
export interface FaultTally {
  lostResponses: number;
  capacity: number;
  errors: number;
}

/** Adds the hits of the rules in force to the tally, then removes them. */
async function clearCounting(cloud: SimcloudAdmin, tally: FaultTally): Promise<void> {
  const rules = await persist(() => cloud.listFaultRules());
  for (const r of rules) {
    if (r.mode === 'lost_response') tally.lostResponses += r.hits;
    else if (r.code === 'capacity') tally.capacity += r.hits;
    else tally.errors += r.hits;
  }
  await persist(() => cloud.clearFaults());
}

export function plan(opts: ChaosOptions, platform: ChaosPlatform, cloud: SimcloudAdmin, tally: FaultTally): Disruption[] {
  const out: Disruption[] = [];
  const window = opts.durationS * 1000;
  const phases = opts.faultPhases;
  const span = 0.75 / Math.max(1, phases.length);
  phases.forEach((p, i) => {
    out.push({
      at: 0.1 + i * span,
      what: `faults ${Math.round(p * 100)} %`,
      async run() {
        await clearCounting(cloud, tally);
        for (const rule of faultRules(p)) await persist(() => cloud.addFaultRule(rule));
        return `simcloud faults at ${Math.round(p * 100)} % (lost responses ${Math.round(30 * p)} %, capacity ${Math.round(20 * p)} % of creates, 503 ${Math.round(50 * p)} %)`;
      },
    });
  });
  if (phases.length) {
    out.push({
      at: 0.85,
      what: 'faults off',
      async run() {
        await clearCounting(cloud, tally);
        return `simcloud faults off (fired so far: ${tally.lostResponses} lost responses, ${tally.capacity} capacity refusals, ${tally.errors} errors)`;
      },
    });
  }
  for (let i = 0; i < opts.workerKills; i++) {
    out.push({
      at: 0.1 + (0.75 * (i + 0.5)) / opts.workerKills,
      what: 'worker SIGKILL',
      async run() {
        const victim = platform.cluster.workers[i % platform.cluster.workers.length]!;
        const r = await platform.killWorker(victim, opts.workerDownMs);
        return `R1: ${r.killed} SIGKILLed, down ${opts.workerDownMs} ms, ${r.replacement} polling ${r.readyMs} ms after its start`;
      },
    });
  }
  if (opts.temporalRestarts > 0) {
    out.push({
      at: 0.6,
      what: 'Temporal restart',
      async run() {
        const r = await platform.restartTemporal(opts.temporalDownMs);
        return `R2: Temporal dev server stopped (${r.stoppedMs} ms), down ${opts.temporalDownMs} ms, started again on the same port and SQLite file (${r.startMs} ms)`;
      },
    });
  }
  if (opts.fillHosts) {
    let filling: ReturnType<typeof fillHosts> | undefined;
    let filledAt = 0;
    out.push({
      at: 0.45,
      what: 'hosts filled',
      async run() {
        filling = fillHosts(cloud);
        const filled = await filling;
        filledAt = Date.now();
        return `R3: every host filled (${filled.fillers.length} filler VMs): creates meet capacity exhaustion`;
      },
    });
    out.push({
      at: 0.55,
      what: 'hosts released',
      async run() {
        // The fill may still be under way (faults slow it): hosts stay full for the planned window
        // after it is done, then what it placed goes.
        const filled = await filling?.catch(() => undefined);
        const held = Date.now() - filledAt;
        if (filledAt && held < 0.1 * window) await sleep(0.1 * window - held);
        await filled?.release();
        return `R3: filler VMs removed (${filled?.fillers.length ?? 0}): capacity back`;
      },
    });
  }
  if (opts.hostOutage) {
    let down: { id: string; name: string } | undefined;
    out.push({
      at: 0.65,
      what: 'host down',
      async run() {
        // The host holding the most of the platform's VMs and pods.
        const [hosts, vms, pods] = await Promise.all([persist(() => cloud.listHosts()), persist(() => cloud.listVms()), persist(() => cloud.listPods())]);
        const load = (id: string) => vms.filter((v) => v.hostId === id).length + pods.filter((p) => p.hostId === id).length;
        const busiest = hosts.filter((h) => h.state === 'up').sort((a, b) => load(b.id) - load(a.id))[0];
        if (!busiest) return 'R3: no host up to take down';
        await persist(() => cloud.hostDown(busiest.id));
        down = { id: busiest.id, name: busiest.name };
        return `R3: host ${busiest.name} down (${vms.filter((v) => v.hostId === busiest.id).length} VMs to error, ${pods.filter((p) => p.hostId === busiest.id).length} pods failed)`;
      },
    });
    out.push({
      at: 0.75,
      what: 'host up',
      async run() {
        if (!down) return 'R3: no host to bring up';
        await persist(() => cloud.hostUp(down!.id));
        return `R3: host ${down.name} up again`;
      },
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Runs the plan against the clock of a load that started at `startedAt` and lasts `durationMs`:
 * each disruption at its own time (a worker restart that takes long does not delay the next
 * phase), logged when it starts and when it is done; the timeline keeps when each started.
 */
export async function runDisruptions(disruptions: Disruption[], startedAt: number, durationMs: number, ledger: Ledger, log: (line: string) => void): Promise<void> {
  await Promise.all(
    disruptions.map(async (d) => {
      const due = startedAt + d.at * durationMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const at = Date.now() - ledger.startedAt;
      log(`  ${secondsSince(startedAt)} → ${d.what}`);
      let what: string;
      try {
        what = await d.run();
      } catch (err) {
        what = `${d.what} failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      ledger.events.push({ at, what });
      log(`  ${secondsSince(startedAt)} ${what}`);
    }),
  );
  ledger.events.sort((a, b) => a.at - b.at);
}

const secondsSince = (t: number) => `[${String(Math.round((Date.now() - t) / 1000)).padStart(4)} s]`;
