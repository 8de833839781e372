import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneRepository, GitError } from '../../cloud/simcloud/builds/git';
import { gitUrlProblem, parseGitRemote } from '../../cloud/simcloud/builds/git-url';

// Fakes on purpose: a server that never answers (to reach git's timeout and cancellation) and one
// that always asks for credentials (to prove git never prompts).
let hanging: TcpServer;
let asking: Server;
const sockets = new Set<Socket>();
let dir: string;
const portOf = (s: TcpServer | Server) => (s.address() as { port: number }).port;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simcloud-git-test-'));
  hanging = createTcpServer((socket) => sockets.add(socket)); // accepts, never replies
  asking = createServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end());
  await Promise.all([new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r)), new Promise<void>((r) => asking.listen(0, '127.0.0.1', r))]);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([new Promise((r) => hanging?.close(r)), new Promise((r) => asking?.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

const target = (name: string) => path.join(dir, name);

describe('git clone (real git against fake servers)', () => {
  it('times out a clone that hangs', async () => {
    const remote = parseGitRemote(`http://127.0.0.1:${portOf(hanging)}/repo.git`);
    const err = await cloneRepository(remote, { dir: target('a'), signal: new AbortController().signal, timeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(err.message).toBe('git clone timed out after 500 ms');
  });

  it('stops git when aborted', async () => {
    const remote = parseGitRemote(`http://127.0.0.1:${portOf(hanging)}/repo.git`);
    const controller = new AbortController();
    const cloning = cloneRepository(remote, { dir: target('b'), signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(new Error('cancelled')), 200);
    await expect(cloning).rejects.toThrow('cancelled');
  });

  it('never prompts for credentials, and redacts them from what git says', async () => {
    const remote = parseGitRemote(`http://bot:p%40ss-w0rd@127.0.0.1:${portOf(asking)}/private.git`);
    const err = await cloneRepository(remote, { dir: target('c'), signal: new AbortController().signal, timeoutMs: 20_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(err.message).toMatch(/fatal: /);
    expect(err.message).not.toMatch(/p%40ss-w0rd|p@ss-w0rd/);
  });
});

describe('git URLs', () => {
  it('accepts file, http(s), ssh and scp-like URLs; refuses other transports', () => {
    for (const ok of ['file:///srv/repo.git', 'https://example.com/a/b.git', 'ssh://git@example.com:2222/a.git', 'git@example.com:team/app.git'])
      expect(gitUrlProblem(ok)).toBeNull();
    expect(gitUrlProblem('ext::sh -c touch% /tmp/x')).toMatch(/scheme ext: is not supported/);
    expect(gitUrlProblem('ftp://example.com/r.git')).toMatch(/scheme ftp: is not supported/);
    expect(gitUrlProblem('/srv/repo.git')).toMatch(/must be a file/);
  });

  it('strips credentials: http(s) user and password, an ssh password (its login user stays)', () => {
    const https = parseGitRemote('https://x-access-token:ghp_S3CRET@github.com/acme/app.git');
    expect(https.safeUrl).toBe('https://github.com/acme/app.git');
    expect(https.redact(`fatal: unable to access 'https://x-access-token:ghp_S3CRET@github.com/acme/app.git/': ghp_S3CRET`)).toBe(
      "fatal: unable to access 'https://github.com/acme/app.git/': ***",
    );
    expect(parseGitRemote('https://TOKEN123@example.com/r.git').safeUrl).toBe('https://example.com/r.git');
    expect(parseGitRemote('ssh://deploy:pw@example.com/r.git').safeUrl).toBe('ssh://deploy@example.com/r.git');
    expect(parseGitRemote('git@example.com:team/app.git').safeUrl).toBe('git@example.com:team/app.git');
  });
});
