import { createHash, randomBytes } from 'node:crypto';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Image } from '../../contract';
import { BuildContext } from './build-context';
import { DockerfileError, interpretDockerfile, type DockerStep } from './dockerfile';
import { cloneRepository, GitError } from './git';
import type { GitRemote } from './git-url';
import type { BuildWorkspace } from './workspace';

/** A build that cannot succeed; the message is the build's error and its last log line. */
export class BuildFailure extends Error {}

export interface BuildJob {
  id: string;
  name: string;
  remote: GitRemote;
  ref: string | null;
  dockerfilePath: string;
  runStepMs: number;
}

/** How a running build reports progress to its record. */
export interface BuildProgress {
  log(line: string): void;
  cloned(commit: string): void;
}

export interface BuilderOptions {
  workspace: BuildWorkspace;
  gitTimeoutMs: number;
  /** The ssh program for ssh git URLs. */
  sshCommand?: string;
  signal: AbortSignal;
}

const MAX_DOCKERFILE_BYTES = 1024 * 1024;
const LISTED_FILES = 20;

/**
 * One build: clone into a temporary directory (always removed), read and interpret the
 * Dockerfile, then "run" it step by step into the log, as `docker build` prints it. RUN steps
 * are simulated (they take runStepMs); COPY and ADD list the files they match in the clone.
 * Rejects with BuildFailure, or with the signal's reason when aborted.
 */
export async function runBuild(job: BuildJob, progress: BuildProgress, opts: BuilderOptions): Promise<Image> {
  const { remote } = job;
  progress.log(`Cloning ${remote.safeUrl}${job.ref ? ` at ${job.ref}` : ''}`);
  const dir = await opts.workspace.create(job.id);
  try {
    const src = path.join(dir, 'src');
    const commit = await cloneRepository(remote, {
      ref: job.ref ?? undefined,
      dir: src,
      signal: opts.signal,
      timeoutMs: opts.gitTimeoutMs,
      sshCommand: opts.sshCommand,
      sshKeyFile: path.join(dir, 'ssh-key'),
    }).catch(
      (err: unknown) => {
        throw err instanceof GitError ? new BuildFailure(`clone of ${remote.safeUrl}${job.ref ? ` at ${job.ref}` : ''} failed: ${err.message}`) : err;
      },
    );
    progress.cloned(commit);
    progress.log(`Checked out ${commit}`);
    const where = `${job.dockerfilePath} in ${remote.safeUrl}@${commit}`;
    const text = await readDockerfile(src, job.dockerfilePath);
    if (text === null) throw new BuildFailure(`Dockerfile not found at ${where}`);
    let plan;
    try {
      plan = interpretDockerfile(text);
    } catch (err) {
      if (!(err instanceof DockerfileError)) throw err;
      throw new BuildFailure(err.message === 'no FROM instruction' ? `no FROM instruction in the Dockerfile at ${where}` : `Dockerfile at ${where}: ${err.message}`);
    }
    const context = new BuildContext(src);
    for (const [i, step] of plan.steps.entries()) {
      opts.signal.throwIfAborted();
      progress.log(`Step ${i + 1}/${plan.steps.length} : ${step.text}`);
      await perform(step, { context, progress, signal: opts.signal, runStepMs: job.runStepMs, layer: layerId(commit, i) });
    }
    const ref = `registry.simcloud/${job.name}:${commit.slice(0, 12)}`;
    progress.log(`Successfully built ${layerId(commit, plan.steps.length)}`);
    progress.log(`Successfully tagged ${ref}`);
    return { ref, ...plan.image };
  } finally {
    await opts.workspace.remove(dir);
  }
}

interface StepEnv {
  context: BuildContext;
  progress: BuildProgress;
  signal: AbortSignal;
  runStepMs: number;
  layer: string;
}

async function perform(step: DockerStep, env: StepEnv): Promise<void> {
  const { progress } = env;
  if (step.from) {
    progress.log(` ---> ${step.from.stage ? `Using stage ${step.from.image}` : `Using base image ${step.from.image}`}`);
  } else if (step.copy) {
    const { sources, dest, fromStage } = step.copy;
    if (fromStage) progress.log(` ---> Copying ${sources.join(' ')} from ${fromStage} to ${dest}`);
    else
      for (const source of sources) {
        if (step.keyword === 'ADD' && /^https?:\/\//i.test(source)) {
          progress.log(` ---> Downloading ${source} to ${dest} (simulated)`);
          continue;
        }
        const files = await env.context.match(source).catch((err: Error) => {
          throw new BuildFailure(`${step.keyword} failed: ${err.message}`);
        });
        if (files.length === 0) throw new BuildFailure(`${step.keyword} failed: file not found in build context: ${source}`);
        progress.log(` ---> ${step.keyword === 'ADD' ? 'Adding' : 'Copying'} ${files.length} file(s) from ${source} to ${dest}`);
        for (const f of files.slice(0, LISTED_FILES)) progress.log(`      ${f}`);
        if (files.length > LISTED_FILES) progress.log(`      … and ${files.length - LISTED_FILES} more`);
      }
  } else if (step.run) {
    progress.log(` ---> Running in ${randomBytes(6).toString('hex')}`);
    await sleep(env.runStepMs, undefined, { signal: env.signal });
  }
  progress.log(` ---> ${env.layer}`);
}

/** The Dockerfile's text, or null when there is none at that path inside the clone. */
async function readDockerfile(root: string, relative: string): Promise<string | null> {
  let file: string;
  try {
    file = await realpath(path.resolve(root, relative));
  } catch {
    return null;
  }
  // A symlink must not lead out of the repository.
  if (!file.startsWith((await realpath(root)) + path.sep)) return null;
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return null;
    if (stat.size > MAX_DOCKERFILE_BYTES) throw new BuildFailure(`the Dockerfile at ${relative} is larger than ${MAX_DOCKERFILE_BYTES} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** A stable id for each layer, like Docker's short image ids. */
const layerId = (commit: string, step: number) => createHash('sha256').update(`${commit}:${step}`).digest('hex').slice(0, 12);
