import type { LogSnapshot } from '../kernel/log-read';

/** One run of a pod's container: from its start to its exit (null while it runs). */
export interface ContainerRun {
  startedAt: number;
  endedAt: number | null;
  /** Why it ended (crash reason, host down, pod deleted). */
  exit: string | null;
}

/** What the simulated container prints about itself. Env values are never part of it. */
export interface ContainerSpec {
  podName: string;
  image: string;
  command: string[] | null;
  envKeys: string[];
  ports: { port: number; protocol: string }[];
}

const at = (ms: number) => new Date(ms).toISOString();

function startupLines(spec: ContainerSpec, run: number): string[] {
  const ports = spec.ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
  return [
    run === 0 ? `Starting ${spec.podName} from image ${spec.image}` : `Restarting ${spec.podName} (restart ${run}) from image ${spec.image}`,
    spec.command ? `Command: ${spec.command.join(' ')}` : 'Command: image default',
    `Environment: ${spec.envKeys.length ? spec.envKeys.join(', ') : '(none)'} (values hidden)`,
    ports ? `Listening on ${ports}` : 'No ports exposed',
    'Ready',
  ];
}

const uptime = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${s % 60}s` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
};

/**
 * A pod's log, derived rather than stored: per container run, start-up lines, then one line per
 * interval while it runs, then an exit line. Only the runs' start and end times are persisted, so
 * the log is bounded in storage and reads the same after a simcloud restart.
 */
export function podLog(spec: ContainerSpec, runs: readonly ContainerRun[], intervalMs: number, nowMs: number, ended: boolean): LogSnapshot {
  const startup = startupLines(spec, 0).length;
  const sizes = runs.map((r) => {
    const until = r.endedAt ?? nowMs;
    return { periodic: Math.max(0, Math.floor((until - r.startedAt) / intervalMs)), exit: r.endedAt === null ? 0 : 1 };
  });
  const total = sizes.reduce((n, s) => n + startup + s.periodic + s.exit, 0);
  const last = runs.at(-1);

  const line = (runIndex: number, i: number): string => {
    const run = runs[runIndex]!;
    if (i < startup) return `${at(run.startedAt)} ${startupLines(spec, runIndex)[i]}`;
    const k = i - startup + 1;
    if (k <= sizes[runIndex]!.periodic) {
      const t = run.startedAt + k * intervalMs;
      return `${at(t)} ${spec.podName} healthy, uptime ${uptime(t - run.startedAt)}`;
    }
    return `${at(run.endedAt!)} Container exited: ${run.exit}`;
  };

  return {
    total,
    ended,
    nextLineAt: last && last.endedAt === null ? last.startedAt + (sizes.at(-1)!.periodic + 1) * intervalMs : null,
    lines(from, to) {
      const out: string[] = [];
      let base = 0;
      for (let r = 0; r < runs.length && base < to; r++) {
        const size = startup + sizes[r]!.periodic + sizes[r]!.exit;
        for (let i = Math.max(from, base); i < Math.min(to, base + size); i++) out.push(line(r, i - base));
        base += size;
      }
      return out;
    },
  };
}
