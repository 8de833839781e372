/**
 * NUBOMEDIA PaaS apps under chaos: an app is created from a local git repository (its deploy
 * boots a media-server VM, builds the image from the Dockerfile, runs a supporting service and
 * the app as container deployments), scaled out by one media server and in again, and deleted:
 * up to 4 operations on `app/<id>`. A deploy that fails is deleted all the same.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { StepResult } from '../client';
import { moreThanOnce, type ChaosDriver, type DriverContext, type OwnedObject } from './types';

const V1 = '/api/v1/nubomedia/paas';
const V2 = '/api/v2/nubomedia/paas';
const run = promisify(execFile);
const ok = (r: StepResult) => r.outcome === 'completed' || r.outcome === 'done';

const headers = (ctx: DriverContext) => ({
  authorization: `Bearer ${ctx.client.credentials.token}`,
  'project-id': ctx.client.credentials.project,
  accept: 'application/json',
  'content-type': 'application/json',
});

let repository: { url: string; root: string } | undefined;

/** A bare repository with a Dockerfile, served as file:// (simcloud's builder really clones it). */
async function gitRepository(): Promise<{ url: string; root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'provisio-chaos-app-'));
  const git = (cwd: string, ...args: string[]) =>
    run('git', ['-c', 'user.name=Chaos', '-c', 'user.email=chaos@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd });
  const bare = path.join(root, 'app.git');
  const work = path.join(root, 'work');
  await git(root, 'init', '--bare', bare);
  await git(root, 'init', work);
  await writeFile(path.join(work, 'Dockerfile'), 'FROM nubomedia/apps-baseimage:v1\nCOPY app.jar /opt/app.jar\nRUN echo preparing\nEXPOSE 8080\nCMD ["java", "-jar", "/opt/app.jar"]\n');
  await writeFile(path.join(work, 'app.jar'), 'not really a jar\n');
  await git(work, 'add', '.');
  await git(work, 'commit', '-m', 'the app');
  await git(work, 'push', bare, 'HEAD:refs/heads/main');
  await git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  return { url: `file://${bare}`, root };
}

async function remove(ctx: DriverContext, id: string): Promise<boolean> {
  await ctx.client.step('apps', { type: 'deleteApp', resource: `app/${id}`, method: 'DELETE', path: `${V1}/app/${id}`, headers: headers(ctx), accept: [200, 202] });
  const row = await ctx.db.selectFrom('apps').select('id').where('id', '=', id).executeTakeFirst();
  return !row;
}

export const appDriver: ChaosDriver = {
  surface: 'apps',

  async setup() {
    repository = await gitRepository();
  },

  async teardown() {
    if (repository) await rm(repository.root, { recursive: true, force: true });
    repository = undefined;
  },

  async lifecycle(ctx, index) {
    const name = `${ctx.runId}-a${index}`;
    const create = await ctx.client.step('apps', {
      type: 'deployApp',
      method: 'POST',
      path: `${V1}/app`,
      body: JSON.stringify({
        name,
        gitURL: repository!.url,
        flavor: 'SMALL',
        ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }],
        replicasNumber: 1,
        numberOfInstances: 1,
        scaleOutLimit: 2,
        // Every other app has a supporting service: one more deployment, its env injected into the app.
        services:
          index % 2 === 0
            ? [{ name: 'cache', dockerURL: 'redis:7', replicasNumber: 1, ports: [{ port: 6379, targetPort: 6379, protocol: 'TCP' }], envVars: [{ name: 'MODE', value: 'lru' }] }]
            : [],
      }),
      headers: headers(ctx),
      cancellable: true,
      accept: [200],
    });
    const id: string | undefined = create.answer?.body?.app?.id ?? (await ctx.db.selectFrom('apps').select('id').where('name', '=', name).executeTakeFirst())?.id;
    if (!id) return;
    const resource = `app/${id}`;
    if (ok(create) && !ctx.stopping()) {
      const out = await ctx.client.step('apps', { type: 'scaleOutMediaServers', resource, method: 'POST', path: `${V2}/app/${id}/media-server`, headers: headers(ctx), accept: [202], cancellable: true });
      if (ok(out) && !ctx.stopping()) {
        await ctx.client.step('apps', { type: 'scaleInMediaServers', resource, method: 'DELETE', path: `${V2}/app/${id}/media-server`, headers: headers(ctx), accept: [202] });
      }
    }
    if (ctx.keep()) return;
    await remove(ctx, id);
  },

  async cleanup(ctx, deadline) {
    let left: Array<{ id: string; status: string }> = [];
    while (Date.now() < deadline) {
      left = await ctx.db.selectFrom('apps').select(['id', 'status']).execute();
      if (!left.length) return [];
      await Promise.all(left.map((a) => remove(ctx, a.id)));
      await pause(2_000);
    }
    return left.map((a) => `app/${a.id} (${a.status})`);
  },

  async owned(ctx) {
    const apps = await ctx.db.selectFrom('apps').select(['id', 'deployment_id', 'build_id']).execute();
    const out: OwnedObject[] = [];
    for (const a of apps) {
      if (a.deployment_id) out.push({ kind: 'deployment', id: a.deployment_id, owner: `app/${a.id}` });
      if (a.build_id) out.push({ kind: 'build', id: a.build_id, owner: `app/${a.id}` });
    }
    const services = await ctx.db.selectFrom('app_services').select(['app_id', 'deployment_id']).execute();
    for (const s of services) if (s.deployment_id) out.push({ kind: 'deployment', id: s.deployment_id, owner: `app/${s.app_id}` });
    const servers = await ctx.db.selectFrom('app_media_servers').select(['app_id', 'vm_id']).execute();
    for (const m of servers) if (m.vm_id) out.push({ kind: 'vm', id: m.vm_id, owner: `app/${m.app_id}` });
    return out;
  },

  claims(obj, ctx) {
    if (obj.kind === 'vm') return obj.object.name.startsWith('media-server-vnf-');
    if (obj.kind === 'build') return true;
    if (obj.kind === 'deployment') return !obj.object.name.startsWith(`${ctx.cluster.workflowIdPrefix.toLowerCase()}c`);
    return false;
  },

  async ownerOf(obj, ctx) {
    // Deployments and builds are named after the app's osName (a service's ends with it).
    const name = obj.kind === 'deployment' || obj.kind === 'build' ? obj.object.name : undefined;
    const osName = name?.split('-').at(-1);
    if (!osName) return undefined;
    const row = await ctx.db.selectFrom('apps').select('id').where('os_name', '=', osName).executeTakeFirst();
    return row ? `app/${row.id}` : undefined;
  },

  async duplicates(ctx, cloud) {
    const rows = await ctx.db.selectFrom('apps').select(['id', 'name', 'status']).where('name', 'like', `${ctx.runId}-a%`).execute();
    const clusterPrefix = `${ctx.cluster.workflowIdPrefix.toLowerCase()}c`;
    return [
      ...moreThanOnce(rows, (r) => r.name, (name, g) => `${name}: ${g.length} apps for one create request`),
      // One app component (the app, each service) → one live deployment; one media server → one VM; one app → one build.
      ...moreThanOnce(cloud.deployments.filter((d) => !d.name.startsWith(clusterPrefix)), (d) => d.name, (name, g) => `deployment ${name}: ${g.length} live copies`),
      ...moreThanOnce(cloud.vms.filter((v) => v.name.startsWith('media-server-vnf-')), (v) => v.name, (name, g) => `media server ${name}: ${g.length} live VMs`),
      ...moreThanOnce(cloud.builds, (b) => b.name, (name, g) => `build of ${name}: ${g.length} live builds`),
    ];
  },

  async leftovers(ctx) {
    const rows = await ctx.db.selectFrom('apps').select(['id', 'status']).execute();
    return rows.map((a) => `app/${a.id} (${a.status})`);
  },
};
