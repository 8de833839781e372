import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import type { GitRemote } from './git-url';

/** Why a clone failed, in words fit for the build log (credentials redacted). */
export class GitError extends Error {}

export interface CloneOptions {
  /** A branch, tag or commit; the remote's default branch when absent. */
  ref?: string;
  /** Created by git; must not exist yet. */
  dir: string;
  signal: AbortSignal;
  /** For each git command. */
  timeoutMs: number;
  /** The ssh program git runs for ssh URLs (its options are added here). Default `ssh`. */
  sshCommand?: string;
  /** Where the remote's ssh key is written for ssh (mode 0600) while git runs; removed after. Needed when the remote has a key. */
  sshKeyFile?: string;
}

/**
 * git never prompts (no terminal, no askpass, ssh in batch mode), never asks a credential helper
 * of this machine, and speaks only the transports builds accept (no ext::, no fd::).
 */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  GCM_INTERACTIVE: 'never',
  GIT_ALLOW_PROTOCOL: 'file:http:https:ssh',
  GIT_LFS_SKIP_SMUDGE: '1',
  LC_ALL: 'C',
};
const GIT_CONFIG = ['-c', 'credential.helper=', '-c', 'core.askPass=', '-c', 'advice.detachedHead=false'];

/** What ssh says before git's "Could not read from remote repository": the reason itself. */
const SSH_FAILURE = /Permission denied \(|Host key verification failed|Could not resolve hostname|Connection (refused|timed out)/;

const looksLikeCommit = (ref: string) => /^[0-9a-f]{7,40}$/i.test(ref);

/** A single-quoted shell word (GIT_SSH_COMMAND is run by a shell). */
const shellWord = (s: string) => `'${s.split("'").join(`'\\''`)}'`;

/**
 * ssh in batch mode (never prompts), with the build's own key when it has one and no other
 * identity. The builder has no known_hosts of its own: a host key is accepted on first sight and
 * forgotten after the clone (a simulated builder; a real one would pin host keys).
 */
function sshCommand(program: string, keyFile: string | undefined): string {
  const options = ['-o BatchMode=yes', '-o ConnectTimeout=20'];
  if (keyFile) options.push(`-i ${shellWord(keyFile)}`, '-o IdentitiesOnly=yes', '-o StrictHostKeyChecking=accept-new', '-o UserKnownHostsFile=/dev/null');
  return [program, ...options].join(' ');
}

function git(args: string[], opts: { signal: AbortSignal; timeoutMs: number; remote: GitRemote; ssh: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...GIT_CONFIG, ...args],
      { env: { ...GIT_ENV, GIT_SSH_COMMAND: opts.ssh }, timeout: opts.timeoutMs, killSignal: 'SIGKILL', signal: opts.signal, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout.trim());
        if (opts.signal.aborted) return reject(opts.signal.reason);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new GitError('git is not installed on the simcloud host'));
        if (e.killed) return reject(new GitError(`git ${args[0]} timed out after ${opts.timeoutMs} ms`));
        const lines = opts.remote.redact(String(stderr)).trim().split('\n').filter(Boolean);
        reject(new GitError(lines.filter((l) => /^(fatal|error):/.test(l) || SSH_FAILURE.test(l)).join('; ') || lines.at(-1) || `git ${args[0]} failed`));
      },
    );
  });
}

/**
 * Clones `remote` into `dir` at `ref` and returns the commit. A branch or tag is cloned shallow;
 * a commit (or any other revision) needs the history: full clone, then a detached checkout.
 */
export async function cloneRepository(remote: GitRemote, opts: CloneOptions): Promise<string> {
  const keyFile = remote.sshKey ? opts.sshKeyFile : undefined;
  if (remote.sshKey && !keyFile) throw new Error('cloneRepository: a remote with an ssh key needs sshKeyFile');
  if (keyFile) await writeFile(keyFile, remote.sshKey!.endsWith('\n') ? remote.sshKey! : `${remote.sshKey}\n`, { mode: 0o600 });
  try {
    return await clone(remote, opts, sshCommand(opts.sshCommand ?? 'ssh', keyFile));
  } finally {
    if (keyFile) await rm(keyFile, { force: true });
  }
}

async function clone(remote: GitRemote, opts: CloneOptions, ssh: string): Promise<string> {
  const run = (args: string[]) => git(args, { signal: opts.signal, timeoutMs: opts.timeoutMs, remote, ssh });
  const fullCloneAndCheckout = async (ref: string) => {
    await run(['clone', '--quiet', '--no-checkout', '--', remote.url, opts.dir]);
    await run(['-C', opts.dir, 'checkout', '--quiet', '--detach', ref]).catch((err: unknown) => {
      throw err instanceof GitError ? new GitError(`ref ${ref} not found: ${err.message}`) : err;
    });
  };
  if (!opts.ref) await run(['clone', '--quiet', '--depth', '1', '--', remote.url, opts.dir]);
  else if (looksLikeCommit(opts.ref)) await fullCloneAndCheckout(opts.ref);
  else {
    try {
      await run(['clone', '--quiet', '--depth', '1', '--branch', opts.ref, '--', remote.url, opts.dir]);
    } catch (err) {
      // Not a branch or tag of the remote: maybe another revision (main~2); anything else is final.
      if (!(err instanceof GitError) || !/not found in upstream|Could not find remote branch/i.test(err.message)) throw err;
      await rm(opts.dir, { recursive: true, force: true });
      await fullCloneAndCheckout(opts.ref);
    }
  }
  return run(['-C', opts.dir, 'rev-parse', 'HEAD']);
}
