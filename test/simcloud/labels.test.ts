import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../cloud/contract';
import { GitFixture } from './git-fixture';
import { createTestDatabase, smallVm, startTestCloud, token, waitFor, type TestCloud } from './support';

/**
 * Labels on deployments, builds, volumes and snapshots (the platform's ownership mark lives there): kept and answered
 * as created, validated like a VM's context, a `?label=KEY=VALUE` / `?label=KEY` filter on the
 * listings, persisted across a restart; requests without labels work as before.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestCloud;
let repo: GitFixture;

beforeAll(async () => {
  repo = new GitFixture();
  repo.commit({ Dockerfile: 'FROM alpine:3\nEXPOSE 80\n' });
  db = await createTestDatabase('simcloud_test');
  t = await startTestCloud(db.url);
});
afterAll(async () => {
  await t?.sim.close();
  await db?.drop();
  repo?.remove();
});

const deployment = (name: string, labels?: Record<string, string>) => ({
  clientToken: token('dep'),
  name,
  image: 'nginx:1.27',
  replicas: 1,
  cpu: 0.1,
  memoryMb: 64,
  ...(labels ? { labels } : {}),
});
const build = (name: string, labels?: Record<string, string>) => ({ clientToken: token('build'), name, gitUrl: repo.url, ...(labels ? { labels } : {}) });
const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id).sort();
const finished = (b: Build) => ['succeeded', 'failed', 'cancelled'].includes(b.state);

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(t.sim.url + path, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

describe('deployment labels', () => {
  it('answers the labels given at create ({} without), and filters the listing by KEY=VALUE or KEY', async () => {
    const c = t.client;
    const a = await c.createDeployment(deployment('lab-a', { OWNER: 'p-app/1', TIER: 'web' }));
    const b = await c.createDeployment(deployment('lab-b', { OWNER: 'p-app/2', 'odd=key': 'x', EQ: 'a=b=c' }));
    const plain = await c.createDeployment(deployment('lab-plain'));
    expect(a.labels).toEqual({ OWNER: 'p-app/1', TIER: 'web' });
    expect(plain.labels).toEqual({});
    expect((await c.getDeployment(a.id)).labels).toEqual({ OWNER: 'p-app/1', TIER: 'web' });

    expect(ids(await c.listDeployments({ label: 'OWNER=p-app/1' }))).toEqual([a.id]);
    expect(ids(await c.listDeployments({ label: 'OWNER' }))).toEqual(ids([a, b]));
    expect(ids(await c.listDeployments({ label: 'EQ=a=b=c' }))).toEqual([b.id]); // the value is everything after the first '='
    expect(ids(await c.listDeployments({ label: 'OWNER=' }))).toEqual([]); // an empty value matches only an empty value
    expect(await c.listDeployments({ label: 'NOBODY' })).toEqual([]);
    expect(ids(await c.listDeployments({ label: 'TIER=web', spreadGroup: 'none' }))).toEqual([]); // filters combine
    expect((await c.listDeployments()).length).toBeGreaterThanOrEqual(3); // no filter: as before

    // A repeated client token answers the first deployment, labels included; a deleted one leaves the listing.
    await c.deleteDeployment(a.id);
    expect(await c.listDeployments({ label: 'OWNER=p-app/1' })).toEqual([]);
    expect((await c.getDeployment(a.id)).labels).toEqual({ OWNER: 'p-app/1', TIER: 'web' });
  });

  it.each([
    ['a number as value', { labels: { OWNER: 5 } }, /^labels\.OWNER: /],
    ['an empty key', { labels: { '': 'x' } }, /^labels\.?: |^labels: /],
    ['a key over 128 characters', { labels: { ['K'.repeat(129)]: 'x' } }, /^labels/],
    ['a value over 4096 characters', { labels: { OWNER: 'v'.repeat(4097) } }, /^labels\.OWNER: /],
    ['an array', { labels: ['OWNER=x'] }, /^labels: /],
  ])('refuses %s (400, nothing created)', async (_, extra, message) => {
    const before = (await t.client.listDeployments()).length;
    const r = await raw('POST', '/deployments', { ...deployment('lab-bad'), ...extra });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    expect((await t.client.listDeployments()).length).toBe(before);
  });

  it.each([
    ['/deployments?label=', /^label: /],
    ['/deployments?label==x', /^label: /],
    [`/deployments?label=${'K'.repeat(129)}`, /^label: /],
    ['/builds?label=', /^label: /],
    ['/builds?label==web', /^label: /],
    ['/volumes?label=', /^label: /],
    ['/snapshots?label==x', /^label: /],
  ])('refuses the filter %s (400)', async (path, message) => {
    const r = await raw('GET', path);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
  });
});

describe('build labels', () => {
  it('answers the labels given at create ({} without), and filters the listing', async () => {
    const c = t.client;
    const marked = await c.createBuild(build('lab-marked', { OWNER: 'p-app/7' }));
    const other = await c.createBuild(build('lab-other', { OWNER: 'p-app/8' }));
    const plain = await c.createBuild(build('lab-plain'));
    expect(marked.labels).toEqual({ OWNER: 'p-app/7' });
    expect(plain.labels).toEqual({});
    const done = await waitFor(() => c.getBuild(marked.id), finished, 20_000);
    expect(done).toMatchObject({ state: 'succeeded', labels: { OWNER: 'p-app/7' } });

    expect(ids(await c.listBuilds({ label: 'OWNER=p-app/7' }))).toEqual([marked.id]);
    expect(ids(await c.listBuilds({ label: 'OWNER' }))).toEqual(ids([marked, other]));
    expect(ids(await c.listBuilds())).toEqual(ids([marked, other, plain]));

    const r = await raw('POST', '/builds', { ...build('lab-bad'), labels: { OWNER: 1 } });
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'invalid', message: expect.stringMatching(/^labels\.OWNER: /) } } });
    await c.deleteBuild(other.id);
    expect(ids(await c.listBuilds({ label: 'OWNER' }))).toEqual([marked.id]);
    await waitFor(() => c.getBuild(plain.id), finished, 20_000);
  });
});

describe('volume and snapshot labels', () => {
  const volume = (name: string, extra: Record<string, unknown> = {}) => ({ clientToken: token('vol'), name, sizeMb: 16, ...extra });
  const snapshot = (vmId: string, name: string, extra: Record<string, unknown> = {}) => ({ clientToken: token('snap'), vmId, name, ...extra });

  it('answers the labels given at create ({} without), and filters the listings by KEY=VALUE or KEY', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm());
    const markedReq = volume('lab-vol-a', { vmId: vm.id, labels: { OWNER: 'p-instance/1' } });
    const marked = await c.createVolume(markedReq);
    const other = await c.createVolume(volume('lab-vol-b', { labels: { OWNER: 'p-instance/2' } }));
    const plain = await c.createVolume(volume('lab-vol-plain'));
    expect(marked.labels).toEqual({ OWNER: 'p-instance/1' });
    expect(plain.labels).toEqual({});
    expect((await c.getVolume(marked.id)).labels).toEqual({ OWNER: 'p-instance/1' });
    expect(ids(await c.listVolumes({ label: 'OWNER=p-instance/1' }))).toEqual([marked.id]);
    expect(ids(await c.listVolumes({ label: 'OWNER' }))).toEqual(ids([marked, other]));
    expect(await c.listVolumes({ label: 'OWNER', vmId: 'vm-none' })).toEqual([]); // filters combine
    expect(ids(await c.listVolumes())).toEqual(expect.arrayContaining(ids([marked, other, plain]))); // no filter: as before

    const snap = await c.createSnapshot(snapshot(vm.id, 'lab-snap', { labels: { OWNER: 'p-instance/1' } }));
    const plainSnap = await c.createSnapshot(snapshot(vm.id, 'lab-snap-plain'));
    expect(snap.labels).toEqual({ OWNER: 'p-instance/1' });
    expect(plainSnap.labels).toEqual({});
    expect(ids(await c.listSnapshots({ label: 'OWNER=p-instance/1' }))).toEqual([snap.id]);
    expect(ids(await c.listSnapshots({ vmId: vm.id }))).toEqual(ids([snap, plainSnap]));

    // A repeated client token answers the first object, labels included; a deleted one leaves the listing.
    expect(await c.createVolume({ ...markedReq, labels: undefined })).toMatchObject({ id: marked.id, labels: { OWNER: 'p-instance/1' } });
    await c.deleteVolume(marked.id);
    await c.deleteSnapshot(snap.id);
    expect(await c.listVolumes({ label: 'OWNER=p-instance/1' })).toEqual([]);
    expect(await c.listSnapshots({ label: 'OWNER=p-instance/1' })).toEqual([]);
    expect((await c.getVolume(marked.id)).labels).toEqual({ OWNER: 'p-instance/1' });
  });

  it.each([
    ['/volumes', () => volume('lab-bad', { labels: { OWNER: 1 } })],
    ['/snapshots', () => snapshot('vm-whatever', 'lab-bad', { labels: ['OWNER=x'] })],
  ])('refuses bad labels on POST %s (400)', async (path, make) => {
    const r = await raw('POST', path, make());
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'invalid', message: expect.stringMatching(/^labels/) } } });
  });
});

describe('persistence', () => {
  it('keeps labels across a restart; objects saved before labels existed read {}', async () => {
    const c = t.client;
    const dep = await c.createDeployment(deployment('lab-kept', { OWNER: 'p-app/9' }));
    const old = await c.createDeployment(deployment('lab-old', { OWNER: 'p-app/10' }));
    const b = await c.createBuild(build('lab-kept', { OWNER: 'p-app/9' }));
    await waitFor(() => c.getBuild(b.id), finished, 20_000);
    const vol = await c.createVolume({ clientToken: token('vol'), name: 'lab-kept', sizeMb: 16, labels: { OWNER: 'p-instance/9' } });
    const oldVol = await c.createVolume({ clientToken: token('vol'), name: 'lab-old', sizeMb: 16, labels: { OWNER: 'p-instance/10' } });
    await t.sim.close();

    // What an older simcloud saved: no labels field at all.
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      await pool.query(`update simcloud.deployments set doc = doc - 'labels' where id = $1`, [old.id]);
      await pool.query(`update simcloud.volumes set doc = doc - 'labels' where id = $1`, [oldVol.id]);
    } finally {
      await pool.end();
    }
    t = await startTestCloud(db.url);
    const after = t.client;
    expect((await after.getDeployment(dep.id)).labels).toEqual({ OWNER: 'p-app/9' });
    expect((await after.getDeployment(old.id)).labels).toEqual({});
    expect((await after.getBuild(b.id)).labels).toEqual({ OWNER: 'p-app/9' });
    expect(ids(await after.listDeployments({ label: 'OWNER=p-app/9' }))).toEqual([dep.id]);
    expect(await after.listDeployments({ label: 'OWNER=p-app/10' })).toEqual([]);
    expect(ids(await after.listBuilds({ label: 'OWNER=p-app/9' }))).toEqual([b.id]);
    expect(ids(await after.listVolumes({ label: 'OWNER=p-instance/9' }))).toEqual([vol.id]);
    expect((await after.getVolume(oldVol.id)).labels).toEqual({});
  });
});
