import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../scripts/processes';
import { gitRepository } from '../apps/support';
import { apiToken, bigdata, MINIMAL_JSON, registerProduct, SIZE_OPTIONS } from '../clusters/support';
import { flavorClient, registerRegion, tokenFor } from '../flavors/support';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';

/**
 * The `provisio` CLI on the apps, flavors and clusters surfaces, as a child process against the real
 * API on a real port (the product, the region and the git repository are set up through the APIs).
 */
let stack: Stack;
let server: ServerType;
let url: string;
let home: string;
let token: string;
let repo: Awaited<ReturnType<typeof gitRepository>>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function provisio(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(projectRoot, 'bin', 'provisio.mjs'), ...args],
      { cwd: home, env: { PATH: process.env.PATH, HOME: home, PROVISIO_URL: url, PROVISIO_TOKEN: token }, timeout: 180_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const ok = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return run;
};
const json = (run: Run) => JSON.parse(ok(run).stdout);

// Each CLI run is a Node process; on a loaded machine a test with a handful of them takes a while.
vi.setConfig({ testTimeout: 240_000 });

beforeAll(async () => {
  stack = await startStack();
  server = serve({ fetch: stack.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = await mkdtemp(path.join(tmpdir(), 'provisio-cli-'));
  const res = await platformClient(stack).post('/v1/auth/tokens', { name: 'cli' });
  token = (await res.json()).token;
  repo = await gitRepository();
  await registerRegion(stack, flavorClient(stack, await tokenFor(stack, 'admin', 'global-admin')), 'region-1');
  await registerProduct(bigdata(stack, await apiToken(stack)), { name: 'reference', version: '1.0.0', template: MINIMAL_JSON, options: SIZE_OPTIONS });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.stop();
  await repo?.remove();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('provisio flavors', () => {
  it('creates, publishes, installs, lists and deletes a flavor', async () => {
    const created = json(await provisio(['flavors', 'create', '--name', 'cli-small', '--vcpus', '1', '--ram', '512', '--disk', '1', '--json']));
    const id = (created.flavor ?? created).id as string;
    expect(ok(await provisio(['flavors', 'list'])).stdout).toMatch(/cli-small/);
    ok(await provisio(['flavors', 'publish', id]));
    const installed = await provisio(['flavors', 'install', id, '--node', 'region-1', '--watch']);
    expect(installed.code, installed.stderr).toBe(0);
    const flavor = json(await provisio(['flavors', 'get', id, '--json']));
    expect(flavor.flavor ?? flavor).toMatchObject({ name: 'cli-small', public: true, nodes: ['region-1'] });
    expect((await provisio(['flavors', 'install', id])).code).toBe(2); // --node is required
    ok(await provisio(['flavors', 'delete', id]));
    expect((await provisio(['flavors', 'get', id])).code).toBe(4);
  });
});

describe('provisio clusters', () => {
  it('launches a cluster, follows the launch, lists, inspects and deletes it', async () => {
    expect(ok(await provisio(['clusters', 'products'])).stdout).toMatch(/reference/);
    const launched = await provisio(['clusters', 'launch', 'reference', '1.0.0', '-o', 'size=1', '--watch']);
    expect(launched.code, launched.stderr).toBe(0);
    expect(launched.stdout).toMatch(/launch queued: \/bigdata\/api\/v1\/queue\//);
    expect(launched.stdout).toMatch(/completed in /);
    const list = json(await provisio(['clusters', 'list', '--json']));
    const clusters = (Array.isArray(list) ? list : list.clusters) as Array<{ uri: string; data: { status: string } }>;
    expect(clusters).toHaveLength(1);
    const ref = clusters[0]!.uri.replace('/bigdata/api/v1/clusters/', '');
    expect(json(await provisio(['clusters', 'get', ref, '--json'])).data).toMatchObject({ status: 'ready', product: 'reference' });
    expect(ok(await provisio(['clusters', 'list'])).stdout).toContain(ref);
    ok(await provisio(['clusters', 'delete', ref, '--watch']));
    expect((await provisio(['clusters', 'get', 'not/a/cluster'])).code).toBe(2);
  });
});

describe('provisio apps', () => {
  let id: string;

  it('deploys an app and follows the deploy', async () => {
    const run = await provisio(['apps', 'create', '--name', 'cli-app', '--git-url', repo.url, '--flavor', 'small', '--instances', '2', '--watch']);
    expect(run.code, run.stderr).toBe(0);
    id = /app ([0-9a-f-]{36}) \(cli-app\)/.exec(run.stdout)![1]!;
    expect(run.stdout).toMatch(/completed in /);
    expect(ok(await provisio(['apps', 'list'])).stdout).toMatch(/cli-app .*RUNNING/);
    expect(json(await provisio(['apps', 'get', id, '--json']))).toMatchObject({ id, status: 'RUNNING' });
  });

  it('prints the build log, and follows it as a stream to its end', async () => {
    const log = ok(await provisio(['logs', id]));
    expect(log.stdout).toMatch(/\S/);
    const followed = await provisio(['logs', id, '--follow']);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout.trim().split('\n').length).toBeGreaterThan(1);
    const events = ok(await provisio(['logs', id, '--follow', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1).event).toBe('end');
    expect(events.some((e) => e.event === 'log')).toBe(true);
  });

  it('scales media servers in and out (no autoscaler: the limit is numberOfInstances), then deletes the app', async () => {
    expect(json(await provisio(['apps', 'media-servers', id, '--json']))).toHaveLength(2);
    ok(await provisio(['apps', 'scale-in', id, '--watch']));
    expect(json(await provisio(['apps', 'media-servers', id, '--json']))).toHaveLength(1);
    const refused = await provisio(['apps', 'scale-in', id]);
    expect(refused.code).toBe(2); // the seed's 400 at the minimum
    expect(refused.stderr).toMatch(/Minimum number \(1\)/);
    ok(await provisio(['apps', 'scale-out', id, '--watch']));
    expect(json(await provisio(['apps', 'media-servers', id, '--json']))).toHaveLength(2);
    ok(await provisio(['apps', 'delete', id, '--watch']));
    expect((await provisio(['apps', 'get', id])).code).toBe(4);
  });
});

describe('the audit trail on these surfaces', () => {
  it('records their mutations with the caller, the project and the operation, whatever the auth style', async () => {
    const entries = json(await provisio(['audit', '--json', '--all', '--limit', '200'])) as any[];
    const find = (action: string) => entries.filter((e) => e.action === action);
    // apps: Bearer token + project-id (the default project here)
    expect(find('POST /api/v2/nubomedia/paas/app')[0]).toMatchObject({ user: { username: 'admin' }, projectId: 'demo', status: 200, operation: { id: expect.any(String) } });
    expect(find('POST /api/v2/nubomedia/paas/app/:id/media-server')[0]).toMatchObject({ projectId: 'demo', status: 202, operation: { id: expect.any(String) } });
    // flavors: X-Auth-Token
    expect(find('POST /v1/flavors')[0]).toMatchObject({ user: { username: 'admin' }, status: 201 });
    expect(find('PUT /v1/flavors/:id').map((e) => e.status)).toContain(200);
    // clusters: x-auth-token
    expect(find('POST /bigdata/api/v1/products/:name/:version')[0]).toMatchObject({ user: { username: 'admin' }, projectId: 'demo', status: 202, operation: { id: expect.any(String) } });
    expect(find('DELETE /bigdata/api/v1/clusters/:user/:product/:version/:id')[0]).toMatchObject({ status: 200 });
  });
});
