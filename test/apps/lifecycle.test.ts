import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyText } from '../support/history-text';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import {
  createApp,
  getApp,
  gitRepository,
  liveCounts,
  operationsOf,
  paasClient,
  readEvents,
  seedCreateBody,
  smallApp,
  V1,
  V2,
  waitForStatus,
  type PaasClient,
} from './support';

let stack: Stack;
let paas: PaasClient;
let repo: Awaited<ReturnType<typeof gitRepository>>;
let baseline: Awaited<ReturnType<typeof liveCounts>>;

beforeAll(async () => {
  // The autoscaler is tested on its own (autoscaling.test.ts): here it never gets to decide.
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 20, podLogIntervalMs: 50 } });
  paas = await paasClient(stack);
  repo = await gitRepository();
  baseline = await liveCounts(stack);
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

describe('the seed example, from a local repository', () => {
  let app: any;

  it('answers 200 at once with CREATED, a UUID, generated osName and route', async () => {
    const res = await paas.post(`${V1}/app`, seedCreateBody(repo.url));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.code).toBe(200);
    expect(body.operation).toMatch(/^\/v1\/operations\/[0-9a-f-]{36}$/);
    expect(res.headers.get('operation-location')).toBe(body.operation);
    app = body.app;
    expect(app).toMatchObject({
      status: 'CREATED',
      name: 'nubo-magic-mirror',
      projectId: 'demo',
      flavor: 'MEDIUM',
      replicasNumber: 2,
      numberOfInstances: 3,
      scaleOutLimit: 1,
      scaleOutThreshold: 50,
      qualityOfService: 'GOLD',
      turnServerActivate: true,
      turnServerUsername: 'username',
      stunServerIp: '192.168.1.1',
      stunServerPort: '8080',
      createdBy: 'admin',
      resourceOK: false,
      envVars: [],
      podList: [],
    });
    expect(app.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(app.osName).toMatch(/^[a-z][0-9a-f]{8}$/);
    expect(app.route).toBe(`${app.osName}.apps.provisio.local`);
    expect(app.createdAt).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/);
    expect(app.turnServerPassword).toBeUndefined();
    expect(app.services[0]).toMatchObject({ name: 'mysql', replicasNumber: 1, status: 'Pending' });
    expect(app.services[0].osName).toMatch(new RegExp(`^[a-z][0-9a-f]{8}-${app.osName}$`));
    expect(app.ports.map((p: any) => p.port)).toEqual([8443, 443]);
  });

  it('goes CREATED → INITIALIZING → INITIALISED → BUILDING → DEPLOYNG → RUNNING and fills the seed’s fields', async () => {
    const seen = new Set<string>();
    const running = await waitFor(async () => {
      const a = await getApp(paas, app.id);
      seen.add(a.status);
      if (a.status === 'FAILED') throw new Error(a.error);
      return a.status === 'RUNNING' ? a : undefined;
    }, 60_000, 20);
    expect([...seen].every((s) => ['CREATED', 'INITIALIZING', 'INITIALISED', 'BUILDING', 'DEPLOYNG', 'RUNNING'].includes(s))).toBe(true);
    expect(running.resourceOK).toBe(true);
    const svc = running.services[0];
    expect(svc.status).toBe('Running');
    expect(svc.podList).toHaveLength(1);
    expect(running.podList).toHaveLength(3); // two app pods and the service's
    expect(running.podList).toEqual(expect.arrayContaining(svc.podList));
    expect(running.envVars).toEqual([
      { name: 'MYSQL_HOST', value: `${svc.osName}-svc.demo.svc.cluster.local` },
      { name: 'MYSQL_MYSQL_USER', value: 'test' },
      { name: 'MYSQL_MYSQL_PASSWORD', value: '1234' },
      { name: 'MYSQL_MYSQL_DATABASE', value: 'nubo' },
    ]);
    expect(running.mediaServerGroup.hosts).toHaveLength(3);
    for (const h of running.mediaServerGroup.hosts) {
      expect(h).toMatchObject({ status: 'ACTIVE', hostname: expect.stringMatching(new RegExp(`^media-server-vnf-${app.osName}-\\d+$`)) });
      expect(h.floatingIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    app = running;
  });

  it('placed what it says: media-server VMs with their settings, deployments with the injected variables, the route', async () => {
    const vms = (await stack.cloud.listVms()).filter((v) => v.name.includes(app.osName));
    expect(vms).toHaveLength(3);
    for (const vm of vms) {
      expect(vm).toMatchObject({ state: 'running', cpu: 2 });
      expect(vm.context).toMatchObject({
        'mediaserver.turn-server.url': 'localhost:8080',
        'mediaserver.turn-server.password': 'password',
        'mediaserver.stun-server.address': '192.168.1.1',
        'mediaserver.qos.minimum-bandwidth': 'GOLD',
      });
    }
    const deployments = await stack.cloud.listDeployments({ spreadGroup: app.osName });
    expect(deployments).toHaveLength(1);
    expect(deployments[0]!.replicas).toBe(2);
    expect(deployments[0]!.image).toMatch(new RegExp(`^registry\\.simcloud/${app.osName}:`));
    expect(deployments[0]!.envKeys).toEqual(['MYSQL_HOST', 'MYSQL_MYSQL_DATABASE', 'MYSQL_MYSQL_PASSWORD', 'MYSQL_MYSQL_USER']);
    expect(deployments[0]!.service).toMatchObject({ routeHost: app.route, namespace: 'demo' });
  });

  it('keeps secrets out of the deploy’s workflow history', async () => {
    const [op] = await operationsOf(stack, app.id);
    expect(op!.workflow_type).toBe('deployApp');
    // Payloads decoded: the TURN password ('password') and the service's MYSQL_PASSWORD value ('1234')
    // would show as JSON strings there; as bare digits '1234' also turns up in timestamps and ids.
    const history = historyText(await stack.temporal.workflow.getHandle(op!.workflow_id, op!.run_id).fetchHistory());
    expect(history).toContain('"appId"'); // the payloads are readable text: the search is meaningful
    expect(history).not.toContain('"password"');
    expect(history).not.toContain('"1234"');
    const row = await stack.db.selectFrom('apps').select('turn_password_sealed').where('id', '=', app.id).executeTakeFirstOrThrow();
    expect(row.turn_password_sealed).not.toContain('password');
  });

  it('answers the build log with the clone and every Dockerfile step, as JSON and as a stream', async () => {
    const res = await paas.get(`${V1}/app/${app.id}/buildlogs`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: app.id, name: 'nubo-magic-mirror', projectName: 'Demo' });
    expect(body.log).toMatch(/Cloning file:\/\//);
    for (const step of ['Step 1/6 : FROM', 'Step 2/6 : COPY', 'Step 3/6 : RUN', 'Step 4/6 : EXPOSE', 'Step 5/6 : ENV', 'Step 6/6 : CMD']) expect(body.log).toContain(step);
    expect(body.log).toMatch(/Successfully tagged registry\.simcloud\//);
    const stream = await paas.get(`${V1}/app/${app.id}/buildlogs?follow=true`);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readEvents(stream);
    expect(events.filter((e) => e.event === 'log').map((e) => e.data).join('\n')).toBe(body.log);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ status: 'RUNNING' }) });
  });

  it('answers a pod’s log as text, follows it as a stream, and 404s an unknown pod', async () => {
    const pod = app.podList[0];
    const text = await waitFor(async () => {
      const res = await paas.get(`${V1}/app/${app.id}/logs/${pod}`);
      expect(res.status).toBe(200);
      const t = await res.text();
      return t.length ? t : undefined;
    });
    expect(text.length).toBeGreaterThan(0);
    const stream = await paas.get(`${V1}/app/${app.id}/logs/${pod}`, { accept: 'text/event-stream' });
    const events = await readEvents(stream, 2);
    expect(events.every((e) => e.event === 'log')).toBe(true);
    expect((await paas.get(`${V1}/app/${app.id}/logs/nope-pod`)).status).toBe(404);
  });

  it('deletes the app and releases everything', async () => {
    const res = await paas.delete(`/${V1}/app/${app.id}`); // verbatim: the seed's curl says http://host//api/v1/…
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: app.id, name: 'nubo-magic-mirror', suffix: app.osName, code: 200 });
    expect((await paas.get(`${V1}/app/${app.id}`)).status).toBe(404);
    expect(await liveCounts(stack)).toEqual(baseline);
  });
});

describe('failures leave nothing placed', () => {
  it('a repository without a Dockerfile ends FAILED, and its build log says so', async () => {
    const bare = await gitRepository({ dockerfile: null });
    try {
      const created = await createApp(paas, smallApp(bare.url, { name: 'no-dockerfile' }));
      const failed = await waitForStatus(paas, created.id, 'FAILED');
      expect(failed.error).toMatch(/Dockerfile not found/);
      const log = (await (await paas.get(`${V1}/app/${created.id}/buildlogs`)).json()).log;
      expect(log).toMatch(/Cloning file:\/\//);
      expect(log).toMatch(/Dockerfile not found/);
      expect(failed.mediaServerGroup.hosts).toEqual([]);
      expect(await liveCounts(stack)).toEqual(baseline);
      // Media-server actions need a RUNNING app.
      const scale = await paas.post(`${V2}/app/${created.id}/media-server`);
      expect(scale.status).toBe(409);
      expect((await scale.json()).message).toMatch(/must be in state RUNNING/);
      expect((await paas.delete(`${V1}/app/${created.id}`)).status).toBe(200);
    } finally {
      await bare.remove();
    }
  });

  it('a deploy whose pods cannot start ends FAILED with the reason; media servers and build are released', async () => {
    const fault = await stack.cloud.addFaultRule({ operation: 'startPod', probability: 1 });
    try {
      const created = await createApp(paas, smallApp(repo.url, { name: 'doomed', numberOfInstances: 2 }));
      const failed = await waitForStatus(paas, created.id, 'FAILED');
      expect(failed.error).toMatch(/pod .* failed: injected fault/);
      expect(failed.mediaServerGroup.hosts).toEqual([]);
      expect(failed.podList).toEqual([]);
      expect(await liveCounts(stack)).toEqual(baseline);
      expect((await stack.cloud.listVms()).filter((v) => v.name.includes(created.osName))).toEqual([]);
      const [op] = await operationsOf(stack, created.id);
      const view = await (await stack.request(`/v1/operations/${op!.id}`, { headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } })).json();
      expect(view.status).toBe('failed');
      expect(view.steps.find((s: any) => s.name === 'Launch media servers').state).toBe('compensated');
      expect(view.steps.find((s: any) => s.name === 'Build image').state).toBe('compensated');
      expect((await paas.delete(`${V1}/app/${created.id}`)).status).toBe(200);
    } finally {
      await stack.cloud.removeFaultRule(fault.id);
    }
  });

  it('a DELETE during the deploy cancels it, and the compensation and the delete release everything', async () => {
    const created = await createApp(paas, smallApp(repo.url, { name: 'short-lived' }));
    await waitFor(async () => ((await getApp(paas, created.id)).status === 'INITIALIZING' ? true : undefined), 20_000, 10);
    const res = await paas.delete(`${V1}/app/${created.id}`);
    expect(res.status).toBe(200);
    expect((await paas.get(`${V1}/app/${created.id}`)).status).toBe(404);
    const types = (await operationsOf(stack, created.id)).map((o) => o.workflow_type);
    expect(types).toEqual(['deployApp', 'deleteApp']);
    expect(await liveCounts(stack)).toEqual(baseline);
  });
});

describe('media servers by hand', () => {
  let app: any;
  const hostsOf = async () => (await (await paas.get(`${V2}/app/${app.id}/media-server`)).json()) as any[];
  const settled = async () =>
    waitFor(async () => {
      const { hosts } = (await getApp(paas, app.id)).mediaServerGroup;
      const ops = await operationsOf(stack, app.id);
      const last = ops.at(-1)!;
      const d = await stack.temporal.workflow.getHandle(last.workflow_id, last.run_id).describe();
      return d.status.name !== 'RUNNING' && hosts.every((h: any) => h.status !== 'INITIALIZING') ? hosts : undefined;
    });

  beforeAll(async () => {
    app = await createApp(paas, smallApp(repo.url, { name: 'scaler', scaleOutLimit: 2 }));
    app = await waitForStatus(paas, app.id, 'RUNNING');
  });

  it('lists and gets media servers; an unknown one is 404', async () => {
    const [host] = await hostsOf();
    expect(host).toMatchObject({ status: 'ACTIVE', hostname: `media-server-vnf-${app.osName}-1` });
    expect(await (await paas.get(`${V2}/app/${app.id}/media-server/${host.hostname}`)).json()).toEqual(host);
    expect((await paas.get(`${V2}/app/${app.id}/media-server/nope`)).status).toBe(404);
  });

  it('scales in not below one, out up to the limit, then in by hostname and without one', async () => {
    const atMin = await paas.delete(`${V2}/app/${app.id}/media-server`);
    expect(atMin.status).toBe(400);
    expect((await atMin.json()).message).toBe('Scaling in not permitted. Minimum number (1) of Media Servers of scaler reached');

    const out = await paas.post(`${V2}/app/${app.id}/media-server`);
    expect(out.status).toBe(202);
    const outBody = await out.json();
    expect(outBody.operation).toMatch(/^\/v1\/operations\//);
    expect(out.headers.get('operation-location')).toBe(outBody.operation);
    // One scaling operation at a time per app.
    const busy = await paas.post(`${V2}/app/${app.id}/media-server`);
    expect([409, 400]).toContain(busy.status);
    expect((await settled()).map((h: any) => h.status)).toEqual(['ACTIVE', 'ACTIVE']);

    const atMax = await paas.post(`${V2}/app/${app.id}/media-server`);
    expect(atMax.status).toBe(400);
    expect((await atMax.json()).message).toBe('Scaling out not permitted. Maximum number (2) of Media Servers of scaler reached');

    expect((await paas.delete(`${V2}/app/${app.id}/media-server/nope`)).status).toBe(404);
    const first = (await hostsOf())[0].hostname;
    expect((await paas.delete(`${V2}/app/${app.id}/media-server/${first}`)).status).toBe(202);
    expect((await settled()).map((h: any) => h.hostname)).toEqual([`media-server-vnf-${app.osName}-2`]);

    expect((await paas.post(`${V2}/app/${app.id}/media-server`)).status).toBe(202);
    expect(await settled()).toHaveLength(2);
    expect((await paas.delete(`${V2}/app/${app.id}/media-server`)).status).toBe(202);
    expect((await settled()).map((h: any) => h.hostname)).toEqual([`media-server-vnf-${app.osName}-2`]); // the newest went
    expect((await stack.cloud.listVms()).filter((v) => v.name.includes(app.osName))).toHaveLength(1);
  });

  it('stops an ACTIVE media server and starts it again; the wrong state is 400', async () => {
    const [host] = await hostsOf();
    const url = `${V2}/app/${app.id}/media-server/${host.hostname}`;
    expect((await paas.put(`${url}/start`)).status).toBe(400);
    expect((await paas.put(`${url}/stop`)).status).toBe(202);
    expect((await settled()).map((h: any) => h.status)).toEqual(['INACTIVE']);
    const vm = (await stack.cloud.listVms()).find((v) => v.name === host.hostname)!;
    expect(vm).toMatchObject({ state: 'running', context: expect.objectContaining({ 'mediaserver.pool': 'inactive' }) });
    const again = await paas.put(`${url}/stop`);
    expect(again.status).toBe(400);
    expect((await again.json()).message).toMatch(/Must be ACTIVE to stop the KMS/);
    expect((await paas.put(`${url}/start`)).status).toBe(202);
    expect((await settled()).map((h: any) => h.status)).toEqual(['ACTIVE']);
    expect((await paas.put(`${V2}/app/${app.id}/media-server/nope/stop`)).status).toBe(404);
  });

  it('deletes several apps (an unknown id deletes nothing), then all of the project', async () => {
    const other = await createApp(paas, smallApp(repo.url, { name: 'other' }));
    await waitForStatus(paas, other.id, 'RUNNING');
    const unknown = await paas.post(`${V1}/multipledelete`, [other.id, '00000000-0000-4000-8000-000000000000']);
    expect(unknown.status).toBe(404);
    expect((await getApp(paas, other.id)).status).toBe('RUNNING');
    expect((await paas.post(`${V1}/multipledelete`, [other.id])).status).toBe(204);
    expect((await paas.get(`${V1}/app/${other.id}`)).status).toBe(404);

    const all = await paas.delete(`${V1}/app`);
    expect(all.status).toBe(200);
    expect(await all.json()).toMatchObject({ projectId: 'demo', code: 200, responses: [{ id: app.id, code: 200 }] });
    const none = await paas.delete(`${V1}/app`);
    expect(none.status).toBe(404);
    expect(await paas.get(`${V1}/app`).then((r) => r.json())).toEqual([]);
    expect(await liveCounts(stack)).toEqual(baseline);
  });
});
