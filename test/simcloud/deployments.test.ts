import { afterEach, describe, expect, it } from 'vitest';
import type { CreateDeploymentRequest, Deployment, Pod } from '../../cloud/contract';
import { token, useTestCloud, waitFor, failure } from './support';

const t = useTestCloud({ transitionMs: 40, jitterMs: 10 });
afterEach(async () => {
  await t.client.clearFaults();
});

const deployment = (extra: Partial<CreateDeploymentRequest> = {}): CreateDeploymentRequest => ({
  clientToken: token('dep'),
  name: 'web',
  image: 'nginx:1.27',
  replicas: 2,
  cpu: 1,
  memoryMb: 1024,
  ...extra,
});
const perHost = (pods: Pod[]) => Object.values(pods.reduce<Record<string, number>>((m, p) => ({ ...m, [p.hostId]: (m[p.hostId] ?? 0) + 1 }), {})).sort();

describe('deployments and pods', () => {
  it('places all replicas spread over hosts with room; pods get an address and go pending → running', async () => {
    const c = t.client;
    const hosts = await c.addHosts({ region: 'pods-a', count: 3, cpu: 2, memoryMb: 4096 });
    const req = deployment({ region: 'pods-a', replicas: 4 });
    const dep = await c.createDeployment(req);
    expect(dep).toMatchObject({ region: 'pods-a', state: 'progressing', replicas: 4, readyReplicas: 0 });
    expect((await c.createDeployment(req)).id).toBe(dep.id); // client token

    const pods = await c.listPods({ deploymentId: dep.id });
    expect(pods).toHaveLength(4);
    expect(perHost(pods)).toEqual([1, 1, 2]); // spread before doubling up
    expect(new Set(pods.map((p) => p.ipv4)).size).toBe(4);
    for (const p of pods) expect(p.ipv4).toMatch(/^10\.(128|129|130|131)\.\d+\.\d+$/);
    expect(pods.every((p) => ['pending', 'running'].includes(p.state) && p.name.startsWith('web-'))).toBe(true);

    const ready = await waitFor(() => c.getDeployment(dep.id), (d) => d.state === 'available');
    expect(ready.readyReplicas).toBe(4);
    const running = await c.getPod(pods[0]!.id);
    expect(running).toMatchObject({ state: 'running', restarts: 0, error: null });
    expect(running.startedAt).not.toBeNull();
    const used = (await c.listHosts({ region: 'pods-a' })).reduce((n, h) => n + h.usedCpu, 0);
    expect(used).toBe(4);
    expect(hosts).toHaveLength(3);
  });

  it('all or nothing: a deployment that does not fit places nothing and answers capacity', async () => {
    const c = t.client;
    await c.addHosts({ region: 'pods-b', count: 2, cpu: 2, memoryMb: 4096 });
    await c.createDeployment(deployment({ region: 'pods-b', replicas: 3 }));
    const before = await c.listHosts({ region: 'pods-b' });
    const podsBefore = (await c.listPods()).length;
    const depsBefore = (await c.listDeployments()).length;
    const req = deployment({ region: 'pods-b', replicas: 2 });
    expect(await failure(c.createDeployment(req))).toMatchObject({ code: 'capacity', status: 409, retryable: false, message: expect.stringMatching(/^region pods-b has no room for 2 replica\(s\) of web/) });
    expect(await c.listHosts({ region: 'pods-b' })).toEqual(before);
    expect((await c.listPods()).length).toBe(podsBefore);
    expect((await c.listDeployments()).length).toBe(depsBefore);
    // The failed token was not consumed: the same token fits once it asks for less.
    expect((await c.createDeployment({ ...req, replicas: 1 })).replicas).toBe(1);
    expect(await failure(c.createDeployment(deployment({ region: 'pods-b', replicas: 1, requirements: { GEO: 'MARS' } })))).toMatchObject({ code: 'capacity' });
    expect(await failure(c.createDeployment(deployment({ region: 'nowhere' })))).toMatchObject({ code: 'not_found' });
  });

  it('accounts fractional CPU exactly, shared with VMs', async () => {
    const c = t.client;
    const [host] = await c.addHosts({ region: 'pods-frac', cpu: 2, memoryMb: 8192, diskMb: 10_000 });
    await c.createVm({ clientToken: token('vm'), name: 'vm', hostId: host!.id, cpu: 1, memoryMb: 1024, diskMb: 1000 });
    await c.createDeployment(deployment({ region: 'pods-frac', replicas: 3, cpu: 0.333, memoryMb: 100 }));
    expect(await c.getHost(host!.id)).toMatchObject({ usedCpu: 1.999, usedMemoryMb: 1324, usedDiskMb: 1000 });
    expect(await failure(c.createDeployment(deployment({ region: 'pods-frac', replicas: 1, cpu: 0.002, memoryMb: 1 })))).toMatchObject({ code: 'capacity' });
    expect(await failure(c.createDeployment(deployment({ region: 'pods-frac', cpu: 0.0005 })))).toMatchObject({ code: 'invalid' });
  });

  it('pods of one spread group avoid sharing hosts across deployments', async () => {
    const c = t.client;
    await c.addHosts({ region: 'pods-spread', count: 3, cpu: 8, memoryMb: 16_384 });
    const a = await c.createDeployment(deployment({ region: 'pods-spread', replicas: 2, spreadGroup: 'kms' }));
    const b = await c.createDeployment(deployment({ region: 'pods-spread', replicas: 1, spreadGroup: 'kms' }));
    const hostsOf = async (d: Deployment) => (await c.listPods({ deploymentId: d.id })).map((p) => p.hostId);
    expect(new Set([...(await hostsOf(a)), ...(await hostsOf(b))]).size).toBe(3);
    expect((await c.listDeployments({ spreadGroup: 'kms' })).map((d) => d.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('scales up all or nothing, down newest first; delete releases capacity and addresses, idempotently', async () => {
    const c = t.client;
    await c.addHosts({ region: 'pods-scale', count: 2, cpu: 2, memoryMb: 4096 });
    const dep = await c.createDeployment(deployment({ region: 'pods-scale', replicas: 2 }));
    const first = await c.listPods({ deploymentId: dep.id });

    expect(await failure(c.scaleDeployment(dep.id, 5))).toMatchObject({ code: 'capacity' });
    expect(await c.listPods({ deploymentId: dep.id })).toHaveLength(2);
    expect((await c.getDeployment(dep.id)).replicas).toBe(2);

    expect((await c.scaleDeployment(dep.id, 4)).replicas).toBe(4);
    const four = await c.listPods({ deploymentId: dep.id });
    expect(perHost(four)).toEqual([2, 2]);
    const newest = four.filter((p) => !first.some((f) => f.id === p.id));
    expect((await c.scaleDeployment(dep.id, 2)).replicas).toBe(2);
    expect((await c.listPods({ deploymentId: dep.id })).map((p) => p.id).sort()).toEqual(first.map((p) => p.id).sort());
    for (const p of newest) expect(await c.getPod(p.id)).toMatchObject({ state: 'deleted', ipv4: null });
    await waitFor(() => c.getDeployment(dep.id), (d) => d.state === 'available');

    const health = await c.health();
    await c.deleteDeployment(dep.id);
    await c.deleteDeployment(dep.id);
    await c.deleteDeployment('dep-unknown');
    expect(await c.getDeployment(dep.id)).toMatchObject({ state: 'deleted', readyReplicas: 0 });
    expect((await c.listHosts({ region: 'pods-scale' })).map((h) => [h.usedCpu, h.usedMemoryMb])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const after = await c.health();
    expect(after).toMatchObject({ deployments: health.deployments - 1, pods: health.pods - 2, usedCpu: health.usedCpu - 2 });
    expect(await c.listPods({ deploymentId: dep.id })).toEqual([]);
    expect(await failure(c.scaleDeployment(dep.id, 1))).toMatchObject({ code: 'not_found' });
  });

  it('exposes a service with a stable DNS name, a cluster IP and a route; env values never come back', async () => {
    const c = t.client;
    const dep = await c.createDeployment(
      deployment({
        replicas: 1,
        ports: [{ port: 8080 }, { port: 5353, protocol: 'UDP' }],
        env: { DATABASE_PASSWORD: 'hunter2', MODE: 'prod' },
        service: { name: 'api', namespace: 'shop', routeHost: 'api.shop.apps.example.com' },
      }),
    );
    expect(dep.service).toEqual({
      name: 'api',
      namespace: 'shop',
      dnsName: 'api.shop.svc.cluster.local',
      clusterIp: expect.stringMatching(/^172\.30\.\d+\.\d+$/),
      ports: [
        { port: 8080, protocol: 'TCP' },
        { port: 5353, protocol: 'UDP' },
      ],
      routeHost: 'api.shop.apps.example.com',
    });
    expect(dep.envKeys).toEqual(['DATABASE_PASSWORD', 'MODE']);
    const everything = JSON.stringify([dep, await c.listDeployments(), await c.listPods({ deploymentId: dep.id })]);
    expect(everything).not.toContain('hunter2');
  });

  it("a 'startPod' fault fails pods as they would start; the deployment is degraded", async () => {
    const c = t.client;
    // A region of its own: a pod of another test still starting elsewhere must not draw this rule.
    await c.addHosts({ region: 'pods-faulty', cpu: 4, memoryMb: 8192 });
    const rule = await c.addFaultRule({ operation: 'startPod', resource: 'pod', region: 'pods-faulty', probability: 1 });
    const dep = await c.createDeployment(deployment({ region: 'pods-faulty', replicas: 2, cpu: 0.5 }));
    const pods = await waitFor(() => c.listPods({ deploymentId: dep.id }), (ps) => ps.every((p) => p.state === 'failed'));
    expect(pods[0]!.error).toBe(`injected fault (${rule.id}) on startPod`);
    expect(await c.getDeployment(dep.id)).toMatchObject({ state: 'degraded', readyReplicas: 0 });
    expect((await c.listFaultRules())[0]!.hits).toBe(2);
    await c.deleteDeployment(dep.id);
  });

  it('pod_crash crash-loops a pod back to running; permanent fails it; host down fails the pods on it', async () => {
    const c = t.client;
    const [host] = await c.addHosts({ region: 'pods-crash', cpu: 4, memoryMb: 8192 });
    const dep = await c.createDeployment(deployment({ region: 'pods-crash', replicas: 2, cpu: 0.5 }));
    const [a, b] = await waitFor(() => c.listPods({ deploymentId: dep.id }), (ps) => ps.every((p) => p.state === 'running'));

    const crashed = await c.crashPod(a!.id, { reason: 'OOMKilled' });
    expect(crashed).toMatchObject({ state: 'crashloop', restarts: 1, error: 'OOMKilled' });
    expect(await waitFor(() => c.getPod(a!.id), (p) => p.state === 'running')).toMatchObject({ restarts: 1, error: null });
    await waitFor(() => c.getDeployment(dep.id), (d) => d.state === 'available');

    expect(await c.crashPod(a!.id, { reason: 'segfault', permanent: true })).toMatchObject({ state: 'failed', error: 'segfault' });
    expect(await c.getDeployment(dep.id)).toMatchObject({ state: 'degraded', readyReplicas: 1 });
    expect(await failure(c.crashPod(a!.id))).toMatchObject({ code: 'conflict' });
    expect(await failure(c.crashPod('pod-unknown'))).toMatchObject({ code: 'not_found' });

    await c.hostDown(host!.id);
    expect(await c.getPod(b!.id)).toMatchObject({ state: 'failed', error: `host ${host!.name} is down` });
    expect(await failure(c.createDeployment(deployment({ region: 'pods-crash', replicas: 1 })))).toMatchObject({ code: 'capacity' });
    await c.hostUp(host!.id);
    expect((await c.getPod(b!.id)).state).toBe('failed'); // host up restarts nothing
  });

  it('removes a host only when no live VM or pod is on it', async () => {
    const c = t.client;
    const [host] = await c.addHosts({ region: 'pods-remove', cpu: 4, memoryMb: 8192 });
    const dep = await c.createDeployment(deployment({ region: 'pods-remove', replicas: 1 }));
    expect(await failure(c.removeHost(host!.id))).toMatchObject({ code: 'conflict', status: 409 });
    await c.deleteDeployment(dep.id);
    const vm = await c.createVm({ clientToken: token('vm'), name: 'v', hostId: host!.id, cpu: 1, memoryMb: 512, diskMb: 1000 });
    expect(await failure(c.removeHost(host!.id))).toMatchObject({ code: 'conflict' });
    await c.deleteVm(vm.id);
    const hostsBefore = (await c.health()).hosts;
    await c.removeHost(host!.id);
    await c.removeHost(host!.id); // idempotent
    expect(await failure(c.getHost(host!.id))).toMatchObject({ code: 'not_found' });
    expect((await c.health()).hosts).toBe(hostsBefore - 1);
    expect((await c.listRegions()).map((r) => r.name)).toContain('pods-remove'); // the region stays
    const [next] = await c.addHosts({ region: 'pods-remove' });
    expect(next!.index).toBeGreaterThan(host!.index); // ids are never reused
  });
});
