import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../cloud/contract';
import { GitFixture, NODE_DOCKERFILE } from './git-fixture';
import { fakeSsh, TEST_SSH_KEY } from './fake-ssh';
import { failure, token, useTestCloud, waitFor } from './support';

/**
 * Builds from ssh git URLs with a private key, through a stand-in ssh program (./fake-ssh.ts)
 * that checks the key like a server would, then serves the clone over git's ssh transport.
 */
const ssh = fakeSsh(TEST_SSH_KEY);
const KEY = TEST_SSH_KEY;

const t = useTestCloud({ gitSshCommand: ssh.program, gitTimeoutMs: 20_000 });
let repo: GitFixture;

beforeAll(() => {
  repo = new GitFixture();
  repo.commit({ Dockerfile: NODE_DOCKERFILE, 'package.json': '{"name":"demo"}', 'src/server.js': '' });
});
afterAll(() => {
  repo?.remove();
  ssh.remove();
});

const finished = (b: Build) => ['succeeded', 'failed', 'cancelled'].includes(b.state);
const sshUrl = () => `ssh://git@example.test${repo.bare}`;

describe('builds from ssh git URLs', () => {
  it('clones with the build’s private key, given to ssh as a 0600 file that is removed after; the key is never answered or logged', async () => {
    const c = t.client;
    const build = await c.createBuild({ clientToken: token('build'), name: 'private', gitUrl: sshUrl(), sshPrivateKey: KEY });
    const done = await waitFor(() => c.getBuild(build.id), finished, 20_000);
    expect(done).toMatchObject({ state: 'succeeded', error: null, gitUrl: sshUrl() });

    expect(ssh.calls().at(-1)).toMatch(/^key=\S+ssh-key mode=600$/);
    expect(await readdir(t.sim.buildWorkspace)).toEqual([]); // the key file went with the workspace
    const everything = JSON.stringify([done, await c.listBuilds(), await c.readBuildLog(build.id, { limit: 10_000 })]);
    expect(everything).not.toContain('b3BlbnNzaC1rZXktdjEA');
    expect(everything).not.toContain('PRIVATE KEY');
  });

  it('fails a build of an ssh URL without a key, saying why', async () => {
    const c = t.client;
    const build = await c.createBuild({ clientToken: token('build'), name: 'nokey', gitUrl: sshUrl() });
    const done = await waitFor(() => c.getBuild(build.id), finished, 20_000);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses a key that is not a private key, naming the field', async () => {
    const err = await failure(t.client.createBuild({ clientToken: token('build'), name: 'bad', gitUrl: sshUrl(), sshPrivateKey: 'ssh-ed25519 AAAA… a public key' }));
    expect(err).toMatchObject({ code: 'invalid' });
    expect(err!.message).toMatch(/sshPrivateKey/);
  });
});
