import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Drift } from '../../lib/inventory';
import { ownerMark } from '../../lib/inventory';
import { sweepOrphans } from '../../workflows/sweep';
import { getApp, gitRepository, paasClient, smallApp, V1, waitForStatus, createApp, type PaasClient } from '../apps/support';
import { apiToken, bigdata, launch, MINIMAL_JSON, nodesOf, registerProduct, SIZE_OPTIONS, waitForStatus as waitForCluster, type Bigdata } from '../clusters/support';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * The orphan sweeper over containers and builds (issue 10): apps (their build, deployments, pods
 * and media-server VMs, marked `app/<id>`) and clusters (node deployments, marked `cluster/<id>`).
 * A marked deployment or build no row owns is removed once older than the grace period, as an
 * operation; a young one is left alone; unmarked, foreign and malformed marks are never touched.
 * A row whose object vanished is repaired as the domain's contract says, as an operation on the
 * row's own resource: the app goes FAILED with the reason, the cluster's node failed.
 */
const GRACE_MS = 1500;
let stack: Stack;
let prefix: string;
let paas: PaasClient;
let bd: Bigdata;
let repo: Awaited<ReturnType<typeof gitRepository>>;

beforeAll(async () => {
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 10, podLogIntervalMs: 200 } });
  prefix = stack.config.WORKFLOW_ID_PREFIX;
  paas = await paasClient(stack);
  repo = await gitRepository();
  bd = bigdata(stack, await apiToken(stack));
  await registerProduct(bd, { name: 'swept', version: '1.0', template: MINIMAL_JSON, options: SIZE_OPTIONS });
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

const sweep = (domain: string, graceMs = GRACE_MS) => stack.runWorkflow(sweepOrphans, { domain, graceMs });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const liveDeployments = async () => new Set((await stack.cloud.listDeployments()).map((d) => d.id));
const liveBuilds = async () => new Set((await stack.cloud.listBuilds()).map((b) => b.id));
const withoutPods = (drift: Drift[]) => drift.filter((d) => d.objectKind !== 'pod');

/** A deployment created behind the platform's back, marked (or not) like one of its own. */
function deploymentBehindTheBack(name: string, labels?: Record<string, string>) {
  return stack.cloud.createDeployment({ clientToken: `${prefix}behind/${name}/${randomUUID()}`, name, image: 'nginx:1', replicas: 1, cpu: 0.05, memoryMb: 32, ...(labels ? { labels } : {}) });
}
function buildBehindTheBack(name: string, labels?: Record<string, string>) {
  return stack.cloud.createBuild({ clientToken: `${prefix}behind/${name}/${randomUUID()}`, name, gitUrl: repo.url, ...(labels ? { labels } : {}) });
}

/** Waits for an operation of /v1/operations to complete; answers it. */
async function completed(operationId: string) {
  const platform = platformClient(stack);
  return waitFor(async () => {
    const o = await (await platform.get(`/v1/operations/${operationId}`)).json();
    if (o.status === 'failed') throw new Error(`operation ${operationId} failed: ${JSON.stringify(o.error)}`);
    return o.status === 'completed' ? o : undefined;
  });
}

describe('apps: orphan deployments and builds', () => {
  it('removes a marked deployment and build no app owns once older than the grace period, as operations; leaves them while young', async () => {
    const mark = ownerMark(prefix, { resourceType: 'app', resourceId: randomUUID(), projectId: 'demo' });
    const dep = await deploymentBehindTheBack('orphan-app', mark);
    const build = await buildBehindTheBack('orphan-app', mark);

    // Young (inside a grace period of a minute): listed, left alone — an in-flight deploy looks like this.
    const early = await sweep('apps', 60_000);
    expect(early.drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'orphan-object', objectKind: 'deployment', cloudId: dep.id, action: 'wait' }),
        expect.objectContaining({ kind: 'orphan-object', objectKind: 'build', cloudId: build.id, action: 'wait' }),
      ]),
    );
    expect(early.drift).toHaveLength(2);
    expect(early.started).toEqual([]);
    expect((await liveDeployments()).has(dep.id)).toBe(true);

    await pause(GRACE_MS + 100);
    const late = await sweep('apps');
    expect(late.drift.map((d) => [d.objectKind, d.cloudId, d.action]).sort()).toEqual(
      [
        ['build', build.id, 'remove'],
        ['deployment', dep.id, 'remove'],
      ].sort(),
    );
    expect(late.started).toHaveLength(2);
    const ops = await Promise.all(late.started.map(completed));
    const byType = Object.fromEntries(ops.map((o) => [o.resource.id, o]));
    expect(byType[`deployment/${dep.id}`]).toMatchObject({ type: 'removeOrphanObject', resource: { type: 'deployment' }, projectId: 'demo' });
    expect(byType[`build/${build.id}`]).toMatchObject({ type: 'removeOrphanObject', resource: { type: 'build' }, projectId: 'demo' });
    expect(byType[`deployment/${dep.id}`].summary).toMatch(/orphan deployment/);
    const listed = await (await platformClient(stack).get(`/v1/operations?resource=deployment/${dep.id}`)).json();
    expect(listed.operations).toHaveLength(1);

    expect((await liveDeployments()).has(dep.id)).toBe(false);
    expect((await liveBuilds()).has(build.id)).toBe(false);
    expect((await sweep('apps')).drift).toEqual([]);
  });

  it('never touches deployments and builds without this deployment’s app mark: unmarked, another deployment’s, another domain’s, malformed', async () => {
    const other = ownerMark('zz-other-', { resourceType: 'app', resourceId: randomUUID(), projectId: 'demo' });
    const runtime = ownerMark(prefix, { resourceType: 'runtime', resourceId: '77', projectId: 'demo' });
    const foreign = [
      await deploymentBehindTheBack('tenant-dep'),
      await deploymentBehindTheBack('tenant-labels', { TEAM: 'someone else' }),
      await deploymentBehindTheBack('other-deployment', other),
      await deploymentBehindTheBack('other-domain', runtime),
      await deploymentBehindTheBack('malformed', { PROVISIO_OWNER: `${prefix}app` }),
    ];
    const foreignBuilds = [await buildBehindTheBack('tenant-build'), await buildBehindTheBack('other-build', other)];
    await pause(GRACE_MS + 100);
    expect((await sweep('apps')).drift).toEqual([]);
    expect((await sweep('clusters')).drift).toEqual([]);
    const live = await liveDeployments();
    for (const d of foreign) expect(live.has(d.id)).toBe(true);
    const builds = await liveBuilds();
    for (const b of foreignBuilds) expect(builds.has(b.id)).toBe(true);
    for (const d of foreign) await stack.cloud.deleteDeployment(d.id);
    for (const b of foreignBuilds) await stack.cloud.deleteBuild(b.id);
  });
});

describe('apps: a running app', () => {
  let app: { id: string };

  it('marks its build, deployment and media-server VM; a running app is no drift', async () => {
    app = await createApp(paas, smallApp(repo.url, { name: 'swept' }));
    await waitForStatus(paas, app.id, 'RUNNING');
    const row = await stack.db.selectFrom('apps').select(['build_id', 'deployment_id']).where('id', '=', app.id).executeTakeFirstOrThrow();
    const owner = { PROVISIO_OWNER: `${prefix}app/${app.id}`, PROVISIO_PROJECT: 'demo' };
    expect((await stack.cloud.getDeployment(row.deployment_id!)).labels).toEqual(owner);
    expect((await stack.cloud.getBuild(row.build_id!)).labels).toEqual(owner);
    const ms = await stack.db.selectFrom('app_media_servers').select('vm_id').where('app_id', '=', app.id).executeTakeFirstOrThrow();
    expect((await stack.cloud.getVm(ms.vm_id!)).context).toMatchObject(owner);
    expect((await stack.cloud.listDeployments({ label: `PROVISIO_OWNER=${prefix}app/${app.id}` })).map((d) => d.id)).toEqual([row.deployment_id]);

    const report = await sweep('apps', 0);
    expect(report.drift).toEqual([]);
    expect(report.expected).toBeGreaterThanOrEqual(4); // build, deployment, pod, VM
  });

  it('an app whose deployment vanished goes FAILED with the reason, by an operation on the app, once the grace period passed', async () => {
    const row = await stack.db.selectFrom('apps').select(['deployment_id', 'pods']).where('id', '=', app.id).executeTakeFirstOrThrow();
    await stack.cloud.deleteDeployment(row.deployment_id!);

    const early = await sweep('apps', 60_000);
    expect(withoutPods(early.drift)).toEqual([expect.objectContaining({ kind: 'vanished-object', objectKind: 'deployment', cloudId: row.deployment_id, action: 'wait' })]);
    // Its pods went with it: listed too (compared, never repaired on their own: only reported once old enough).
    expect(early.drift.filter((d) => d.objectKind === 'pod').map((d) => d.cloudId)).toEqual(expect.arrayContaining(row.pods.map((p) => p.id)));
    expect((await getApp(paas, app.id)).status).toBe('RUNNING');

    const report = await sweep('apps', 0);
    expect(report.drift).toEqual(expect.arrayContaining([expect.objectContaining({ objectKind: 'deployment', cloudId: row.deployment_id, action: 'repair' })]));
    expect(report.drift.filter((d) => d.objectKind === 'pod').every((d) => d.action === 'report' && /its deployment/.test(d.detail))).toBe(true);
    expect(report.started).toHaveLength(1);
    const op = await completed(report.started[0]!);
    expect(op).toMatchObject({ type: 'repairVanishedObject', resource: { type: 'app', id: `app/${app.id}` }, projectId: 'demo' });
    expect(op.summary).toMatch(/vanished/);

    const failed = await getApp(paas, app.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error ?? JSON.stringify(failed)).toMatch(new RegExp(`deployment ${row.deployment_id} .*vanished`));
    // Recorded once: the next sweep finds nothing more to repair.
    expect((await sweep('apps', 0)).drift).toEqual([]);

    // A FAILED app is deleted as usual: what it still has goes (build, media server), and nothing is left.
    expect((await paas.delete(`${V1}/app/${app.id}`)).status).toBeLessThan(300);
    await waitFor(async () => ((await paas.get(`${V1}/app/${app.id}`)).status === 404 ? true : undefined));
    expect(await stack.cloud.listDeployments({ label: `PROVISIO_OWNER=${prefix}app/${app.id}` })).toEqual([]);
    expect(await stack.cloud.listBuilds({ label: `PROVISIO_OWNER=${prefix}app/${app.id}` })).toEqual([]);
    expect((await sweep('apps', 0)).drift).toEqual([]);
  });
});

describe('clusters', () => {
  it('marks the node deployments; removes an orphan node deployment; a node whose deployment vanished is recorded failed', async () => {
    const { uri } = await launch(bd, 'swept', '1.0', { size: 2 });
    await waitForCluster(bd, uri, 'ready');
    const number = Number(uri.split('/').pop());
    const cluster = await stack.db.selectFrom('clusters').select(['id', 'project_id']).where('product', '=', 'swept').where('number', '=', number).executeTakeFirstOrThrow();
    const nodes = await stack.db.selectFrom('cluster_nodes').select(['name', 'deployment_id']).where('cluster_id', '=', cluster.id).orderBy('ordinal').execute();
    expect(nodes).toHaveLength(2);
    for (const n of nodes) {
      expect((await stack.cloud.getDeployment(n.deployment_id!)).labels).toEqual({ PROVISIO_OWNER: `${prefix}cluster/${cluster.id}`, PROVISIO_PROJECT: cluster.project_id });
    }
    expect((await sweep('clusters', 0)).drift).toEqual([]);

    // An orphan: marked for a cluster with no such node (a launch that crashed between create and record, say).
    const orphan = await deploymentBehindTheBack('orphan-node', ownerMark(prefix, { resourceType: 'cluster', resourceId: '987654', projectId: 'demo' }));
    expect((await sweep('clusters', 60_000)).drift).toEqual([expect.objectContaining({ kind: 'orphan-object', cloudId: orphan.id, action: 'wait' })]);
    await pause(GRACE_MS + 100);
    const removal = await sweep('clusters');
    expect(removal.drift).toEqual([expect.objectContaining({ kind: 'orphan-object', cloudId: orphan.id, action: 'remove' })]);
    expect(await completed(removal.started[0]!)).toMatchObject({ type: 'removeOrphanObject', resource: { id: `deployment/${orphan.id}` } });
    expect((await liveDeployments()).has(orphan.id)).toBe(false);

    // A node's deployment vanishes: the node is recorded failed, with the reason; the other node runs on.
    const [lost, kept] = nodes;
    await stack.cloud.deleteDeployment(lost!.deployment_id!);
    const report = await sweep('clusters', 0);
    expect(report.drift).toEqual([expect.objectContaining({ kind: 'vanished-object', cloudId: lost!.deployment_id, action: 'repair' })]);
    const op = await completed(report.started[0]!);
    expect(op).toMatchObject({ type: 'repairVanishedObject', resource: { type: 'cluster', id: `cluster/${cluster.id}` } });
    const shown = await nodesOf(bd, uri);
    const byName = Object.fromEntries(shown.map((n: { name: string }) => [n.name, n]));
    expect(byName[lost!.name]).toMatchObject({ status: 'failed', error: expect.stringMatching(/vanished from the cloud/) });
    expect(byName[kept!.name]).toMatchObject({ status: 'running' });
    expect((await sweep('clusters', 0)).drift).toEqual([]);

    // Destroying it releases what is left.
    expect((await bd.delete(uri.slice('/bigdata/api/v1'.length))).status).toBeLessThan(300);
    await waitForCluster(bd, uri, 'destroyed');
    expect(await stack.cloud.listDeployments({ label: `PROVISIO_OWNER=${prefix}cluster/${cluster.id}` })).toEqual([]);
  });
});
