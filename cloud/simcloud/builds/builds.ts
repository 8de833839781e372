import type { z } from 'zod';
import type { Build, BuildState, LogChunk } from '../../contract';
import type { Kernel } from '../kernel/kernel';
import { readLog, type LogRequest } from '../kernel/log-read';
import { newId, now, Registry, viewOf } from '../kernel/records';
import { matchesLabel, type LabelSelector } from '../kernel/schema';
import type { Table } from '../kernel/store';
import { BuildFailure, runBuild } from './builder';
import { parseGitRemote, type GitRemote } from './git-url';
import { buildSchema, type createBuildBody } from './schema';
import type { BuildWorkspace } from './workspace';

export interface BuildRecord extends Build {
  clientToken: string;
  runStepMs: number | null;
}

/** A build's log lines, persisted apart from the build (they are real output). */
interface BuildLogRecord {
  id: string;
  lines: string[];
}

export interface BuildOptions {
  /** Default duration of a RUN step. */
  stepMs: number;
  /** Builds running at once; more wait in 'queued'. */
  maxConcurrent: number;
  /** For each git command. */
  gitTimeoutMs: number;
  /** The ssh program for ssh git URLs (default `ssh`). */
  sshCommand?: string;
}

export type NewBuild = z.infer<typeof createBuildBody>;

const FINISHED: readonly BuildState[] = ['succeeded', 'failed', 'cancelled', 'deleted'];
const isFinished = (b: BuildRecord) => FINISHED.includes(b.state);
export const viewBuild = viewOf(buildSchema);

/** Stops a running build; the builder rejects with it. */
class Cancelled extends Error {}

interface Running {
  controller: AbortController;
  settled: Promise<void>;
}

/**
 * Image builds: queued, then run (at most maxConcurrent at once) by the builder, which clones
 * for real and interprets the Dockerfile into the log. Cancelling aborts git or the current step.
 * A build that was running when simcloud stopped ends failed at the next start ("interrupted by
 * a simcloud restart"); so does a queued one, whose URL credentials were never stored.
 */
export class Builds {
  readonly records: Registry<BuildRecord>;
  private readonly logs = new Map<string, BuildLogRecord>();
  private readonly logTable: Table<BuildLogRecord>;
  private readonly queue: BuildRecord[] = [];
  private readonly running = new Map<string, Running>();
  /** Remotes with their credentials, in memory only, while a build waits or runs. */
  private readonly remotes = new Map<string, GitRemote>();
  private stopping = false;
  /** Set by restore(): named after the simcloud's instance id. */
  private workspace!: BuildWorkspace;

  constructor(
    private readonly kernel: Kernel,
    private readonly opts: BuildOptions,
  ) {
    this.records = new Registry('build', kernel.store.table<BuildRecord>({ name: 'builds', columns: { client_token: "d->>'clientToken'" } }));
    this.logTable = kernel.store.table<BuildLogRecord>({ name: 'build_logs' });
  }

  /** Clears the workspace and ends the builds a previous run left unfinished. */
  async restore(workspace: BuildWorkspace): Promise<void> {
    this.workspace = workspace;
    await workspace.reset();
    for (const log of this.logTable.takeLoaded()) this.logs.set(log.id, log);
    for (const build of this.records.load()) {
      build.labels ??= {}; // saved before builds had labels
      if (!isFinished(build)) {
        this.log(build, 'error: interrupted by a simcloud restart');
        this.finish(build, 'failed', { error: 'interrupted by a simcloud restart' });
      }
    }
  }

  async create(req: NewBuild): Promise<{ build: Build; created: boolean }> {
    const existing = this.records.byClientToken(req.clientToken);
    if (existing) return this.kernel.commit({ build: viewBuild(existing), created: false });
    const remote: GitRemote = { ...parseGitRemote(req.gitUrl), sshKey: req.sshPrivateKey };
    const build: BuildRecord = {
      id: newId('build'),
      name: req.name,
      state: 'queued',
      gitUrl: remote.safeUrl,
      ref: req.ref ?? null,
      commit: null,
      dockerfilePath: req.dockerfilePath,
      image: null,
      error: null,
      labels: { ...req.labels },
      createdAt: now(),
      startedAt: null,
      finishedAt: null,
      clientToken: req.clientToken,
      runStepMs: req.runStepMs ?? null,
    };
    this.records.save(build);
    this.remotes.set(build.id, remote);
    this.log(build, `Build ${build.id} of ${build.name} queued`);
    const view = viewBuild(build); // as accepted: the build may start right away
    this.queue.push(build);
    this.startQueued();
    return this.kernel.commit({ build: view, created: true });
  }

  get(id: string): Build {
    return viewBuild(this.records.get(id));
  }

  list(filter: { label?: LabelSelector } = {}): Build[] {
    const out: Build[] = [];
    for (const b of this.records.liveValues()) if (matchesLabel(b.labels, filter.label)) out.push(viewBuild(b));
    return out;
  }

  /** Stops a queued or running build; a finished one is returned as it is. */
  async cancel(id: string): Promise<Build> {
    const build = this.records.live(id);
    await this.stop(build);
    return this.kernel.commit(viewBuild(build));
  }

  /** Idempotent: cancels it if needed, then removes it, its log and its image. */
  async delete(id: string): Promise<void> {
    const build = this.records.find(id);
    if (!build || build.state === 'deleted') return this.kernel.commit(undefined);
    await this.stop(build);
    this.logs.delete(id);
    this.logTable.remove(id);
    this.finish(build, 'deleted', { image: null });
    return this.kernel.commit(undefined);
  }

  readLog(id: string, read: LogRequest): Promise<LogChunk> {
    const build = this.records.get(id);
    const snapshot = () => {
      const lines = this.logs.get(id)?.lines ?? [];
      return { total: lines.length, lines: (from: number, to: number) => lines.slice(from, to), ended: isFinished(build), nextLineAt: null };
    };
    return readLog(snapshot, read, this.kernel.signals, `build:${id}`);
  }

  /** Where builds clone (tests check it is left empty). */
  get workspaceRoot(): string {
    return this.workspace.root;
  }

  /** Builds not deleted. */
  get count(): number {
    return this.records.countLive();
  }

  /** At shutdown: aborts running builds (their clones are removed); the next start marks them interrupted. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const r of this.running.values()) r.controller.abort(new Cancelled('simcloud is stopping'));
    await Promise.all([...this.running.values()].map((r) => r.settled));
    await this.workspace?.dispose(); // unset only when restore() failed
  }

  private async stop(build: BuildRecord): Promise<void> {
    const queued = this.queue.indexOf(build);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.log(build, 'Build cancelled before it started');
      this.finish(build, 'cancelled');
    }
    const running = this.running.get(build.id);
    if (running) {
      running.controller.abort(new Cancelled('cancelled'));
      await running.settled;
    }
  }

  private startQueued(): void {
    while (!this.stopping && this.running.size < this.opts.maxConcurrent && this.queue.length > 0) {
      const build = this.queue.shift()!;
      const controller = new AbortController();
      const settled = this.execute(build, controller.signal).finally(() => {
        this.running.delete(build.id);
        this.startQueued();
      });
      this.running.set(build.id, { controller, settled });
    }
  }

  private async execute(build: BuildRecord, signal: AbortSignal): Promise<void> {
    const remote = this.remotes.get(build.id)!;
    this.update(build, { state: 'cloning', startedAt: now() });
    try {
      const image = await runBuild(
        { id: build.id, name: build.name, remote, ref: build.ref, dockerfilePath: build.dockerfilePath, runStepMs: build.runStepMs ?? this.opts.stepMs },
        { log: (line) => this.log(build, remote.redact(line)), cloned: (commit) => this.update(build, { state: 'building', commit }) },
        { workspace: this.workspace, gitTimeoutMs: this.opts.gitTimeoutMs, sshCommand: this.opts.sshCommand, signal },
      );
      this.finish(build, 'succeeded', { image });
    } catch (err) {
      if (this.stopping) return;
      if (signal.aborted) {
        this.log(build, 'Build cancelled');
        this.finish(build, 'cancelled');
      } else if (err instanceof BuildFailure) {
        const message = remote.redact(err.message);
        this.log(build, `error: ${message}`);
        this.finish(build, 'failed', { error: message });
      } else {
        this.kernel.logger.error({ err, build: build.id }, 'simcloud: build crashed');
        this.log(build, 'error: internal builder error');
        this.finish(build, 'failed', { error: 'internal builder error' });
      }
    } finally {
      this.remotes.delete(build.id);
    }
  }

  private log(build: BuildRecord, line: string): void {
    let log = this.logs.get(build.id);
    if (!log) this.logs.set(build.id, (log = { id: build.id, lines: [] }));
    log.lines.push(`${now()} ${line}`);
    this.logTable.mark(log);
    this.kernel.signals.notify(`build:${build.id}`);
    this.kernel.persistLater();
  }

  private update(build: BuildRecord, changes: Partial<BuildRecord>): void {
    Object.assign(build, changes);
    this.records.save(build);
    this.kernel.signals.notify(`build:${build.id}`);
    this.kernel.persistLater();
  }

  private finish(build: BuildRecord, state: BuildState, changes: Partial<BuildRecord> = {}): void {
    this.remotes.delete(build.id);
    this.update(build, { ...changes, state, finishedAt: build.finishedAt ?? now() });
  }
}
