import { readdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../cloud/contract';
import { GitFixture, NODE_DOCKERFILE } from './git-fixture';
import { token, useTestCloud, waitFor, failure } from './support';

// One build at a time, so a second build visibly waits in 'queued'.
const t = useTestCloud({ maxConcurrentBuilds: 1, gitTimeoutMs: 20_000 });
let repo: GitFixture;
let mainCommit: string;
let featureCommit: string;

beforeAll(() => {
  repo = new GitFixture();
  mainCommit = repo.commit({ Dockerfile: NODE_DOCKERFILE, 'package.json': '{"name":"demo"}', 'src/server.js': 'console.log(1)', 'src/util.js': '' });
  featureCommit = repo.commit({ 'docker/app.Dockerfile': 'FROM alpine:3.20\nCOPY src/*.js /srv/\nEXPOSE 53/udp\n' }, 'feature');
});
afterAll(() => repo?.remove());

const finished = (b: Build) => ['succeeded', 'failed', 'cancelled'].includes(b.state);
const logOf = async (id: string) => (await t.client.readBuildLog(id, { limit: 10_000 })).lines;

describe('builds', () => {
  it('clones the default branch, runs the Dockerfile step by step, and produces an image', async () => {
    const c = t.client;
    const req = { clientToken: token('build'), name: 'demo', gitUrl: repo.url };
    const build = await c.createBuild(req);
    expect(build).toMatchObject({ state: 'queued', gitUrl: repo.url, ref: null, commit: null, dockerfilePath: 'Dockerfile' });
    expect((await c.createBuild(req)).id).toBe(build.id); // client token

    const done = await waitFor(() => c.getBuild(build.id), finished, 20_000);
    expect(done).toMatchObject({ state: 'succeeded', commit: mainCommit, error: null });
    expect(done.image).toEqual({
      ref: `registry.simcloud/demo:${mainCommit.slice(0, 12)}`,
      baseImage: 'node:20',
      env: { NODE_ENV: 'production', API_TOKEN: 'not-in-logs' },
      ports: [{ port: 8080, protocol: 'TCP' }],
      cmd: ['node', 'src/server.js'],
      entrypoint: null,
      workdir: '/app',
    });
    const log = await logOf(build.id);
    expect(log.every((l) => /^\d{4}-\d\d-\d\dT\S+Z /.test(l))).toBe(true);
    const text = log.map((l) => l.replace(/^\S+ /, '')).join('\n');
    expect(text).toContain(`Checked out ${mainCommit}`);
    expect(text).toContain('Step 1/8 : FROM node:20');
    expect(text).toContain('Step 2/8 : ENV NODE_ENV=… API_TOKEN=…');
    expect(text).toContain('Step 5/8 : RUN npm install');
    expect(text).toMatch(/Step 6\/8 : COPY src \.\/src\n ---> Copying 2 file\(s\) from src to \.\/src\n {6}src\/server\.js\n {6}src\/util\.js/);
    expect(text).toContain(`Successfully tagged registry.simcloud/demo:${mainCommit.slice(0, 12)}`);
    expect(text).not.toContain('not-in-logs');
    expect(await readdir(t.sim.buildWorkspace)).toEqual([]); // the clone is gone
  });

  it('builds a branch with a Dockerfile elsewhere, and a commit', async () => {
    const c = t.client;
    const branch = await c.createBuild({ clientToken: token('build'), name: 'feature', gitUrl: repo.url, ref: 'feature', dockerfilePath: 'docker/app.Dockerfile' });
    const built = await waitFor(() => c.getBuild(branch.id), finished, 20_000);
    expect(built).toMatchObject({ state: 'succeeded', commit: featureCommit, image: { baseImage: 'alpine:3.20', ports: [{ port: 53, protocol: 'UDP' }] } });
    expect((await logOf(branch.id)).join('\n')).toMatch(/Copying 2 file\(s\) from src\/\*\.js to \/srv\//);

    const pinned = await c.createBuild({ clientToken: token('build'), name: 'pinned', gitUrl: repo.url, ref: mainCommit });
    expect(await waitFor(() => c.getBuild(pinned.id), finished, 20_000)).toMatchObject({ state: 'succeeded', commit: mainCommit });
    const short = await c.createBuild({ clientToken: token('build'), name: 'short', gitUrl: repo.url, ref: mainCommit.slice(0, 10) });
    expect(await waitFor(() => c.getBuild(short.id), finished, 20_000)).toMatchObject({ state: 'succeeded', commit: mainCommit });
  });

  it('fails, saying why, without a Dockerfile, with an unknown ref, or with an unreachable repository', async () => {
    const c = t.client;
    const missing = await c.createBuild({ clientToken: token('build'), name: 'nodf', gitUrl: repo.url, ref: 'feature', dockerfilePath: 'nope/Dockerfile' });
    const noDockerfile = await waitFor(() => c.getBuild(missing.id), finished, 20_000);
    const expected = `Dockerfile not found at nope/Dockerfile in ${repo.url}@${featureCommit}`;
    expect(noDockerfile).toMatchObject({ state: 'failed', error: expected, image: null });
    expect((await logOf(missing.id)).at(-1)).toMatch(new RegExp(`Z error: ${expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));

    const badRef = await c.createBuild({ clientToken: token('build'), name: 'badref', gitUrl: repo.url, ref: 'no-such-branch' });
    expect(await waitFor(() => c.getBuild(badRef.id), finished, 20_000)).toMatchObject({ state: 'failed', error: expect.stringContaining('no-such-branch') });

    const nowhere = `file://${repo.dir}/missing.git`;
    const bad = await c.createBuild({ clientToken: token('build'), name: 'bad', gitUrl: nowhere });
    const failed = await waitFor(() => c.getBuild(bad.id), finished, 20_000);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`^clone of ${nowhere} failed: fatal: .*does not (exist|appear to be a git repository)`));
    expect((await logOf(bad.id)).at(-1)).toContain(`error: clone of ${nowhere} failed`);
    expect(await readdir(t.sim.buildWorkspace)).toEqual([]);
  });

  it('strips credentials from the stored URL and from every log line', async () => {
    const c = t.client;
    // Nothing listens on port 9: git fails to connect (and never prompts).
    const build = await c.createBuild({ clientToken: token('build'), name: 'secret', gitUrl: 'http://deploy:s3cr3t-T0ken@127.0.0.1:9/team/repo.git' });
    expect(build.gitUrl).toBe('http://127.0.0.1:9/team/repo.git');
    const failed = await waitFor(() => c.getBuild(build.id), finished, 30_000);
    expect(failed.state).toBe('failed');
    const everything = JSON.stringify([failed, await logOf(build.id), await c.listBuilds()]);
    expect(everything).not.toContain('s3cr3t-T0ken');
    expect(everything).not.toContain('deploy:');
  });

  it('queues beyond the concurrency limit; cancel stops a running step and a queued build; the clone is removed', async () => {
    const c = t.client;
    const slow = repo.commit({ Dockerfile: 'FROM alpine\nRUN sleep 3600\nCMD ["true"]\n' }, 'slow');
    const running = await c.createBuild({ clientToken: token('build'), name: 'slow', gitUrl: repo.url, ref: 'slow', runStepMs: 600_000 });
    const waiting = await c.createBuild({ clientToken: token('build'), name: 'waiting', gitUrl: repo.url });
    await waitFor(() => logOf(running.id), (lines) => lines.some((l) => l.includes('Running in')), 20_000);
    expect(await c.getBuild(running.id)).toMatchObject({ state: 'building', commit: slow });
    expect((await c.getBuild(waiting.id)).state).toBe('queued');
    expect(await readdir(t.sim.buildWorkspace)).toHaveLength(1); // the running build's clone

    expect((await c.cancelBuild(waiting.id)).state).toBe('cancelled');
    const cancelled = await c.cancelBuild(running.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', image: null });
    expect(cancelled.finishedAt).not.toBeNull();
    expect((await logOf(running.id)).at(-1)).toMatch(/Build cancelled$/);
    expect(await readdir(t.sim.buildWorkspace)).toEqual([]);
    expect((await c.cancelBuild(running.id)).state).toBe('cancelled'); // finished: returned as is
  });

  it('cancel stops git while it clones (a fake server that never answers, on purpose)', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slow.git`;
      const build = await t.client.createBuild({ clientToken: token('build'), name: 'hang', gitUrl: url });
      await waitFor(() => t.client.getBuild(build.id), (b) => b.state === 'cloning');
      await waitFor(async () => sockets.size, (n) => n > 0, 20_000); // git is talking to the server
      expect(await t.client.cancelBuild(build.id)).toMatchObject({ state: 'cancelled', commit: null });
      expect(await readdir(t.sim.buildWorkspace)).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('follows a log while the build runs; delete removes the build and its log; bad input is 400', async () => {
    const c = t.client;
    const build = await c.createBuild({ clientToken: token('build'), name: 'follow', gitUrl: repo.url, runStepMs: 200 });
    let offset = 0;
    let chunk;
    const seen: string[] = [];
    do {
      chunk = await c.readBuildLog(build.id, { offset, waitMs: 5000 });
      seen.push(...chunk.lines);
      offset = chunk.nextOffset;
    } while (!chunk.done);
    expect(seen.join('\n')).toContain('Successfully tagged registry.simcloud/follow:');
    expect((await c.getBuild(build.id)).state).toBe('succeeded');

    const before = (await c.health()).builds;
    await c.deleteBuild(build.id);
    await c.deleteBuild(build.id);
    expect(await c.getBuild(build.id)).toMatchObject({ state: 'deleted', image: null });
    expect(await c.readBuildLog(build.id)).toEqual({ offset: 0, lines: [], nextOffset: 0, done: true });
    expect((await c.health()).builds).toBe(before - 1);
    expect((await c.listBuilds()).some((b) => b.id === build.id)).toBe(false);

    expect(await failure(c.createBuild({ clientToken: token('b'), name: 'x', gitUrl: 'ext::sh -c touch% /tmp/pwned' }))).toMatchObject({ code: 'invalid' });
    expect(await failure(c.createBuild({ clientToken: token('b'), name: 'x', gitUrl: repo.url, ref: '--upload-pack=evil' }))).toMatchObject({ code: 'invalid' });
    expect(await failure(c.createBuild({ clientToken: token('b'), name: 'x', gitUrl: repo.url, dockerfilePath: '../../etc/passwd' }))).toMatchObject({ code: 'invalid' });
    expect(await failure(c.getBuild('build-unknown'))).toMatchObject({ code: 'not_found' });
  });
});
