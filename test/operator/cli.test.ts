import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../scripts/processes';
import { kahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';

/**
 * The `provisio` CLI as a child process (bin/provisio.mjs, as npm installs it) against the real API
 * listening on a real port, with its own HOME so the stored token lands in a throwaway config.
 */
let stack: Stack;
let server: ServerType;
let url: string;
let home: string;
const PASSWORD = 'ops-secret-pass-1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function provisio(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(projectRoot, 'bin', 'provisio.mjs'), ...args],
      {
        cwd: home,
        env: { PATH: process.env.PATH, HOME: home, PROVISIO_URL: url, ...env },
        timeout: 120_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

// Each CLI run is a Node process; on a loaded machine a test with a handful of them takes a while.
vi.setConfig({ testTimeout: 180_000 });

beforeAll(async () => {
  stack = await startStack();
  server = serve({ fetch: stack.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = await mkdtemp(path.join(tmpdir(), 'provisio-cli-'));
  const res = await platformClient(stack).post('/v1/users', { username: 'ops', password: PASSWORD, isAdmin: true, defaultProjectId: 'demo' });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('provisio CLI', () => {
  it('logs in: stores an API token (not the password) in ~/.config/provisio/config.json with mode 0600', async () => {
    const run = await provisio(['login', '--username', 'ops', '--password', PASSWORD]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Logged in to http:\/\/127\.0\.0\.1:\d+ as ops/);
    const file = path.join(home, '.config', 'provisio', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const config = JSON.parse(await readFile(file, 'utf8'));
    expect(config).toMatchObject({ url, username: 'ops' });
    expect(config.token).toMatch(/^pvo_/);
    expect(await readFile(file, 'utf8')).not.toContain(PASSWORD);

    expect(json(await provisio(['whoami', '--json']))).toMatchObject({ username: 'ops', isAdmin: true });
    expect((await provisio(['login', '--username', 'ops', '--password', 'wrong-password'])).code).toBe(3);
  });

  it('creates an instance and follows its operation with --watch', async () => {
    const run = await provisio(['instances', 'create', '--profile', 'empty', '--size', '1cpu256mb', '--name', 'cli-1', '--async', '--watch']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/instance \d+ being created/);
    expect(run.stdout).toContain('Create instance');
    expect(run.stdout).toMatch(/✓ Build VM completed/);
    expect(run.stdout).toMatch(/completed in \d+\.\ds/);
    expect(run.stderr).toMatch(/operation: \/v1\/operations\/[0-9a-f-]{36}/);

    const list = await provisio(['instances', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/│ *\d+ *│ cli-1 *│ stopped/); // a table
    const instances = json(await provisio(['instances', 'list', '--json']));
    expect(Object.values(instances).map((i: any) => i.name)).toContain('cli-1');
  });

  it('watch: a live view of the steps, exit 0 when the operation completed', async () => {
    const n = (await stack.db.selectFrom('instances').select('id').where('name', '=', 'cli-1').executeTakeFirstOrThrow()).id;
    const started = json(await provisio(['instances', 'start', String(n), '--async', '--json']));
    const run = await provisio(['watch', started.operation]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^Start instance \d+ .*\(startInstance [0-9a-f-]{36}\)$/);
    expect(run.stdout).toMatch(/✓ .+ completed/);
    expect(run.stdout.trim().split('\n').pop()).toMatch(/^completed in /);

    const op = json(await provisio(['watch', started.operation.split('/').pop(), '--json']));
    expect(op).toMatchObject({ status: 'completed', type: 'startInstance' });
    const listed = json(await provisio(['operations', 'list', '--resource', `instance/${n}`, '--json']));
    expect(listed.operations.map((o: any) => o.type)).toEqual(['startInstance', 'createInstance']);
    expect((await provisio(['operations', 'get', op.id])).stdout).toContain('startInstance');
  });

  it('watch: exit 1 with the failure when the operation failed', async () => {
    const kahu = await kahuSession(stack);
    expect((await kahu.post('/v0/compute/size/', { name: 'colossal', ncpu: '256', memory: '4000000' })).status).toBe(201);
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: 'colossal', name: 'too-big' });
    const operation = (await res.json()).details.operation;
    const run = await provisio(['watch', operation]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed: CapacityError: /);
    // The same refusal through the CLI: the server's 409 is exit 1, its message on stderr.
    const refused = await provisio(['instances', 'create', '--profile', 'empty', '--size', 'colossal']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/capacity.*HTTP 409/i);
  });

  it('serverless runtimes over HTTP Basic: create --watch, list, get, delete', async () => {
    const basic = { PROVISIO_PASSWORD: PASSWORD }; // the username comes from the login
    const created = await provisio(['runtimes', 'create', '--flavour', 'nature', '--name', 'cli-rt', '--watch'], basic);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/runtime \d+ created \(cli-rt\)/);
    expect(created.stdout).toMatch(/completed in /);
    const id = Number(/runtime (\d+) created/.exec(created.stdout)![1]);
    const list = await provisio(['runtimes', 'list'], basic);
    expect(list.stdout).toMatch(new RegExp(`│ *${id} *│ cli-rt`));
    expect(json(await provisio(['runtimes', 'get', String(id), '--json'], basic)).SERVERLESS_RUNTIME).toMatchObject({ ID: id, NAME: 'cli-rt' });
    // Without a password (and no terminal to ask on): an auth error.
    expect((await provisio(['runtimes', 'list'])).code).toBe(3);
    const deleted = await provisio(['runtimes', 'delete', String(id)], basic);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await provisio(['runtimes', 'get', String(id)], basic)).code).toBe(4);
  });

  it('reads the audit log as a table or JSON', async () => {
    const entries = json(await provisio(['audit', '--json', '--resource', 'runtime/1']));
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e: any) => e.user.username === 'ops')).toBe(true);
    const table = await provisio(['audit', '--limit', '5']);
    expect(table.stdout).toMatch(/ACTION/);
  });

  it('has exit codes scripts can trust', async () => {
    expect((await provisio(['instances', 'get', '99999'])).code).toBe(4);
    expect((await provisio(['instances', 'get', 'abc'])).code).toBe(2);
    expect((await provisio(['instances', 'create', '--size', 'x'])).code).toBe(2); // missing --profile
    expect((await provisio(['no-such-command'])).code).toBe(2);
    expect((await provisio(['watch', 'not-an-operation'])).code).toBe(2);
    expect((await provisio(['whoami'], { PROVISIO_TOKEN: 'pvo_bogus' })).code).toBe(3);
    expect((await provisio(['whoami'], { PROVISIO_URL: 'http://127.0.0.1:9' })).code).toBe(5);
    const n = (await stack.db.selectFrom('instances').select('id').where('name', '=', 'cli-1').executeTakeFirstOrThrow()).id;
    const again = await provisio(['instances', 'start', String(n)]); // already running: the API's 400
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/HTTP 400/);
  });

  it('logs out: the token is revoked and forgotten', async () => {
    const file = path.join(home, '.config', 'provisio', 'config.json');
    const token = JSON.parse(await readFile(file, 'utf8')).token;
    expect((await provisio(['logout'])).code).toBe(0);
    await expect(stat(file)).rejects.toThrow();
    expect((await provisio(['whoami'], { PROVISIO_TOKEN: token })).code).toBe(3);
    expect((await provisio(['whoami'])).code).toBe(3);
  });
});
