import { readdir } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../cloud/simcloud/kernel/migrations';
import { GitFixture } from './git-fixture';
import { createTestDatabase, smallVm, startTestCloud, token, waitFor, type TestCloud } from './support';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const databases: TestDb[] = [];
let t: TestCloud | undefined;
let repo: GitFixture;

beforeAll(() => {
  repo = new GitFixture();
  repo.commit({ Dockerfile: 'FROM alpine:3\nRUN make\nEXPOSE 80\n', Makefile: 'all:\n' });
  repo.commit({ Dockerfile: 'FROM alpine:3\nRUN sleep 3600\n' }, 'slow');
});
afterAll(async () => {
  await t?.sim.close();
  for (const db of databases) await db.drop();
  repo?.remove();
});

async function freshDatabase(): Promise<TestDb> {
  const db = await createTestDatabase('simcloud_test');
  databases.push(db);
  return db;
}

/** Stops the running simcloud and starts another on the same database. */
async function restart(url: string, opts: Parameters<typeof startTestCloud>[1] = {}): Promise<TestCloud> {
  await t?.sim.close();
  t = await startTestCloud(url, opts);
  return t;
}

describe('restart persistence', () => {
  it('keeps objects, capacity, tokens and pending transitions across a restart', async () => {
    const db = await freshDatabase();
    // Transitions slow enough to still be pending when the process stops (checked before it does).
    const slow = { transitionMs: 3000, jitterMs: 0, leaseDelayMs: 50 };
    let c = (await restart(db.url, slow)).client;
    const hostsBefore = await c.listHosts();
    const req = smallVm();
    const vm = await c.createVm(req);
    const vol = await c.createVolume({ clientToken: token('vol'), name: 'd', sizeMb: 5 });
    const depReq = { clientToken: token('dep'), name: 'pending', image: 'x:1', replicas: 2, cpu: 0.5, memoryMb: 256, region: 'region-1' };
    const dep = await c.createDeployment(depReq);
    await c.hostDown(hostsBefore[3]!.id);
    const usage = await c.listHosts();
    expect((await c.getVm(vm.id)).state).toBe('building');
    expect((await c.listPods({ deploymentId: dep.id })).map((p) => p.state)).toEqual(['pending', 'pending']);

    c = (await restart(db.url, slow)).client;
    const hostsAfter = await c.listHosts();
    expect(hostsAfter.map((h) => h.id)).toEqual(hostsBefore.map((h) => h.id)); // topology not re-created
    expect(hostsAfter[3]!.state).toBe('down');
    expect(hostsAfter).toEqual(usage); // capacity re-accounted from the VMs and pods
    expect((await c.createVm(req)).id).toBe(vm.id); // tokens survive
    expect((await c.createDeployment(depReq)).id).toBe(dep.id);
    // The re-armed timers finish the transitions started before the restart.
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'stopped', 10_000);
    await waitFor(() => c.getVolume(vol.id), (v) => v.state === 'available', 10_000);
    await waitFor(() => c.getDeployment(dep.id), (d) => d.state === 'available', 10_000);

    expect((await c.startVm(vm.id)).state).toBe('starting');
    c = (await restart(db.url, slow)).client;
    const running = await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running' && v.addresses.ipv4 !== null, 10_000);
    expect(running.addresses.ipv4).toMatch(/^10\./);
  });

  it('keeps deployments, pods and their logs, builds and their logs, flavors and metrics; interrupted builds fail', async () => {
    const db = await freshDatabase();
    let c = (await restart(db.url, { podLogIntervalMs: 200 })).client;
    const dep = await c.createDeployment({ clientToken: token('dep'), name: 'kms', image: 'kurento:6', replicas: 2, cpu: 1, memoryMb: 1024, service: { name: 'kms', namespace: 'media' } });
    const pods = await waitFor(() => c.listPods({ deploymentId: dep.id }), (ps) => ps.every((p) => p.state === 'running'));
    await c.crashPod(pods[0]!.id, { reason: 'boom' });
    await waitFor(() => c.getPod(pods[0]!.id), (p) => p.state === 'running');
    await c.setLoad(pods[1]!.id, 'capacity', 230);
    const catalog = c.regionCatalog({ url: t!.sim.url, region: 'region-2', username: 'simcloud', password: 'simcloud-dev-secret' });
    const flavor = await catalog.createFlavor({ id: 'f1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 });
    const built = await c.createBuild({ clientToken: token('build'), name: 'app', gitUrl: repo.url });
    const succeeded = await waitFor(() => c.getBuild(built.id), (b) => b.state === 'succeeded', 20_000);
    const buildLog = await c.readBuildLog(built.id);
    const slowBuild = await c.createBuild({ clientToken: token('build'), name: 'slow', gitUrl: repo.url, ref: 'slow', runStepMs: 600_000 });
    await waitFor(() => c.readBuildLog(slowBuild.id), (l) => l.lines.some((line) => line.includes('Running in')), 20_000);
    const podLog = await c.readPodLog(pods[0]!.id);
    const hostsBefore = await c.listHosts();
    const health = await c.health();

    const workspace = t!.sim.buildWorkspace;
    c = (await restart(db.url, { podLogIntervalMs: 200 })).client;
    expect(await readdir(workspace)).toEqual([]); // the interrupted build's clone is gone
    expect(await c.getDeployment(dep.id)).toMatchObject({ state: 'available', readyReplicas: 2, service: dep.service });
    expect((await c.listPods({ deploymentId: dep.id })).map((p) => [p.id, p.ipv4, p.restarts, p.state])).toEqual(
      pods.map((p, i) => [p.id, p.ipv4, i === 0 ? 1 : 0, 'running']),
    );
    expect(await c.listHosts()).toEqual(hostsBefore);
    const samePodLog = await c.readPodLog(pods[0]!.id, { limit: podLog.lines.length });
    expect(samePodLog.lines).toEqual(podLog.lines); // derived from persisted start times: stable
    expect(await c.getMetrics([pods[1]!.id])).toEqual({ [pods[1]!.id]: { cpu: 0, capacity: 230 } });
    expect(await c.regionCatalog({ url: t!.sim.url, region: 'region-2', username: 'simcloud', password: 'simcloud-dev-secret' }).getFlavor('f1')).toEqual(flavor);
    expect(await c.getBuild(built.id)).toEqual(succeeded);
    expect((await c.readBuildLog(built.id)).lines).toEqual(buildLog.lines);
    expect(await c.getBuild(slowBuild.id)).toMatchObject({ state: 'failed', error: 'interrupted by a simcloud restart' });
    expect((await c.readBuildLog(slowBuild.id)).lines.at(-1)).toMatch(/error: interrupted by a simcloud restart$/);
    const after = await c.health();
    expect({ ...after, timers: 0 }).toEqual({ ...health, timers: 0 });

    // A new pod gets an address no restored pod holds.
    await c.scaleDeployment(dep.id, 3);
    const ips = (await c.listPods({ deploymentId: dep.id })).map((p) => p.ipv4);
    expect(new Set(ips).size).toBe(3);
  });

  it('upgrades a version-1 database: regions and hosts load, used capacity is recomputed', async () => {
    const db = await freshDatabase();
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      await migrate(pool, 1);
      await pool.query(`insert into simcloud.regions (name) values ('old-region')`);
      const host = { id: 'host-0', index: 0, name: 'old-hv0', region: 'old-region', state: 'up', cpu: 8, memoryMb: 8192, diskMb: 10_000, usedCpu: 6, usedMemoryMb: 6000, usedDiskMb: 5, labels: {} };
      await pool.query(`insert into simcloud.hosts (id, idx, doc) values ('host-0', 0, $1)`, [host]);
      await pool.query(`insert into simcloud.meta (key, value) values ('initialized', 'true')`);
    } finally {
      await pool.end();
    }
    const c = (await restart(db.url)).client;
    expect(await c.listRegions()).toEqual([{ name: 'old-region' }]);
    expect(await c.listHosts()).toEqual([expect.objectContaining({ id: 'host-0', usedCpu: 0, usedMemoryMb: 0, usedDiskMb: 0 })]);
    expect((await c.addHosts({ region: 'old-region' }))[0]!.id).toBe('host-1');
  });
});
