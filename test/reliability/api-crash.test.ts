import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster, type Cluster, type Member } from '../../scripts/scale/cluster';
import { gitRepository, smallApp } from '../apps/support';
import { MINIMAL_JSON } from '../clusters/support';

/**
 * An API process SIGKILLed at deliberately bad moments of a request (PROVISIO_TEST_CRASH_AT, a
 * test-only hook: the process kills itself when it gets there), then the same request — same
 * Idempotency-Key — sent to another API process, as a careful client does:
 *
 * - `claimed`: the key is claimed, nothing else happened;
 * - `before-start`: a create's rows are written in its open transaction, its workflow not started;
 * - `after-start`: the workflow started, nothing recorded (no row, no operation);
 * - `after-record`: the rows, the operation and the answer for a retry committed, no answer sent.
 *
 * Each time: the retry gets its answer within seconds (not after the 10 minutes a dead claim used
 * to hold its key), there is exactly one resource with one completed operation, no run is left
 * running or unrecorded, and simcloud holds exactly the objects the resources own.
 */
let cluster: Cluster;
let survivor: Member;
let token: string;
let basic: string;
const crashes: Array<{ point: string; ms: number }> = [];

beforeAll(async () => {
  cluster = await startCluster({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
    temporalNamespace: inject('temporalNamespace'),
    workflowBundlePath: inject('workflowBundlePath'),
    apis: 1,
    workers: 2,
    flavorRegions: true,
    // Long synchronous waits: a retry stuck behind a dead claim would wait SYNC_WAIT_MS + 30 s.
    env: { SYNC_WAIT_MS: '90000' },
    echo: !!process.env.ECHO,
  });
  survivor = cluster.apis[0]!;
  basic = 'Basic ' + Buffer.from(`${cluster.admin.username}:${cluster.admin.password}`).toString('base64');
  const res = await fetch(`${survivor.url}/v1/auth/tokens`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'crash' }) });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { token: string }).token;
  // A BigData product to launch.
  const bigdata = (method: string, path: string, body: string, type = 'application/json') =>
    fetch(`${survivor.url}/bigdata/api/v1${path}`, { method, headers: { 'x-auth-token': token, 'content-type': type }, body });
  expect((await bigdata('POST', '/products', JSON.stringify({ name: 'crashy', version: '1.0', description: 'crash test' }))).status).toBe(201);
  expect((await bigdata('PUT', '/products/crashy/1.0/template', MINIMAL_JSON)).status).toBe(204);
  expect((await bigdata('PUT', '/products/crashy/1.0/options', JSON.stringify({ required: { size: 1 }, optional: {}, advanced: {}, descriptions: {} }))).status).toBe(204);
}, 180_000);

afterAll(async () => {
  if (crashes.length) console.log(`retries answered after a crash: ${crashes.map((c) => `${c.point} ${c.ms} ms`).join(', ')}`);
  await cluster?.stop();
});

interface Request {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

const kahu = (path: string, form: Record<string, string>): Request => ({
  method: 'POST',
  path,
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded', prefer: 'respond-async' },
  body: new URLSearchParams(form).toString(),
});

/**
 * Sends `req` to a fresh API process that SIGKILLs itself at `point`, then the same request (same
 * Idempotency-Key: a fresh one unless `req` has its own) to the surviving API, after `afterCrash`
 * looked at what the dead request left. Returns the survivor's answer.
 */
async function crashThenRetry(
  point: string,
  req: Request,
  afterCrash?: () => Promise<void>,
): Promise<{ status: number; headers: Headers; body: any; replayed: boolean }> {
  const victim = await cluster.addApi(`api-crash-${point}-${randomBytes(2).toString('hex')}`, { PROVISIO_TEST_CRASH_AT: point });
  const headers = { 'idempotency-key': randomUUID(), ...req.headers };
  const first = await fetch(`${victim.url}${req.path}`, { method: req.method, headers, body: req.body }).then(
    (res) => `answered ${res.status}`,
    () => 'connection lost',
  );
  expect(first, `the API should have died at ${point}`).toBe('connection lost');
  expect((await victim.proc.exited).signal).toBe('SIGKILL');
  await afterCrash?.();

  const started = Date.now();
  // A key held by a dead request used to block retries for 10 minutes: give the retry one.
  const res = await fetch(`${survivor.url}${req.path}`, { method: req.method, headers, body: req.body, signal: AbortSignal.timeout(60_000) });
  crashes.push({ point, ms: Date.now() - started });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, replayed: res.headers.get('idempotent-replayed') === 'true' };
}

const operationIdOf = (link: string | null | undefined) => link?.match(/\/v1\/operations\/([0-9a-f-]{36})/)?.[1];

async function operation(id: string): Promise<{ status: string; type: string; resource: { id: string } }> {
  const res = await fetch(`${survivor.url}/v1/operations/${id}`, { headers: { authorization: basic } });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ status: string; type: string; resource: { id: string } }>;
}

async function completed(id: string): Promise<{ status: string; type: string; resource: { id: string } }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const op = await operation(id);
    if (op.status !== 'running' && op.status !== 'unknown') {
      expect(op.status, JSON.stringify(op)).toBe('completed');
      return op;
    }
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.status}`);
    await sleep(200);
  }
}

async function operationsOn(resource: string) {
  return cluster.db.selectFrom('operations').select(['id', 'workflow_type', 'run_id']).where('resource_id', '=', resource).orderBy('created_at').execute();
}

async function instancesNamed(name: string) {
  return cluster.db.selectFrom('instances').select(['id', 'state', 'deleted_at']).where('name', '=', name).execute();
}

async function vmsNamed(name: string) {
  const [live, deleted] = await Promise.all([cluster.cloud.listVms(), cluster.cloud.listVms({ state: 'deleted' })]);
  return [...live, ...deleted].filter((vm) => vm.name === name);
}

/** Creates an instance through the survivor (no crash) and waits until it is built. */
async function builtInstance(name: string): Promise<number> {
  const { headers, body } = kahu('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name });
  const res = await fetch(`${survivor.url}/v0/compute/instance/`, { method: 'POST', headers, body });
  expect(res.status).toBe(202);
  const id = Number(res.headers.get('location')!.match(/instance\/(\d+)/)![1]);
  await completed(operationIdOf(((await res.json()) as { operation: string }).operation)!);
  return id;
}

describe('creating an instance, the API dies', () => {
  for (const point of ['claimed', 'before-start', 'after-start', 'after-record'] as const) {
    it(`at ${point}: the retry on another API answers at once, and there is one instance, one completed operation, one VM`, async () => {
      const name = `crash-${point}`;
      const retry = await crashThenRetry(point, kahu('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name }));
      expect(retry.status, JSON.stringify(retry.body)).toBe(202);
      // After the operation was recorded, the retry gets the answer recorded with it; before, it runs the request.
      expect(retry.replayed).toBe(point === 'after-record');
      const instanceId = Number(retry.headers.get('location')!.match(/instance\/(\d+)/)![1]);
      const op = await completed(operationIdOf(retry.body.operation)!);
      expect(op).toMatchObject({ type: 'createInstance', resource: { id: `instance/${instanceId}` } });

      const instances = await instancesNamed(name);
      expect(instances).toEqual([{ id: instanceId, state: 'stopped', deleted_at: null }]);
      expect((await operationsOn(`instance/${instanceId}`)).map((o) => o.workflow_type)).toEqual(['createInstance']);
      expect(await vmsNamed(name)).toHaveLength(1);
    }, 180_000);
  }
});

describe('on an existing instance, the API dies after the workflow started', () => {
  it('attaching storage: the abandoned run frees the instance at once, the retry attaches one volume', async () => {
    const id = await builtInstance('crash-storage');
    const retry = await crashThenRetry('after-start', kahu(`/v0/compute/instance/${id}/storage/`, { name: 'data', size: '64' }));
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    await completed(operationIdOf(retry.body.operation)!);
    const volumes = await cluster.db.selectFrom('instance_volumes').select(['name', 'state', 'cloud_volume_id']).where('instance_id', '=', id).where('name', '=', 'data').execute();
    expect(volumes).toEqual([{ name: 'data', state: 'attached', cloud_volume_id: expect.any(String) }]);
    const listed = (await (await fetch(`${cluster.simcloudUrl}/volumes`)).json()) as { volumes: Array<{ name: string }> };
    const cloudVolumes = listed.volumes.filter((v) => v.name === `instance-${id}-data`);
    expect(cloudVolumes).toHaveLength(1);
    expect((await operationsOn(`instance/${id}`)).map((o) => o.workflow_type)).toEqual(['createInstance', 'attachStorage']);
    // The dead request's run was terminated, not failed: its compensation finds the volume by its
    // name, which the retry's run reuses, so running it could undo the retry's volume.
    const recorded = new Set((await operationsOn(`instance/${id}`)).map((o) => o.run_id));
    const query = `WorkflowId = '${cluster.workflowIdPrefix}instance/${id}' AND WorkflowType = 'attachStorage'`;
    const abandonedRuns = async () => {
      const statuses: string[] = [];
      for await (const wf of cluster.temporal.workflow.list({ query })) if (!recorded.has(wf.runId)) statuses.push(wf.status.name);
      return statuses;
    };
    // Visibility catches up within moments.
    let abandoned = await abandonedRuns();
    for (const deadline = Date.now() + 10_000; (!abandoned.length || abandoned.includes('RUNNING')) && Date.now() < deadline; ) {
      await sleep(200);
      abandoned = await abandonedRuns();
    }
    expect(abandoned).toEqual(['TERMINATED']);
  }, 180_000);

  it('starting it: the run is recorded by the survivor, and the retry gets its operation (202 with the link)', async () => {
    const id = await builtInstance('crash-start');
    const retry = await crashThenRetry('after-start', kahu(`/v0/compute/instance/${id}/start`, {}));
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.replayed).toBe(true);
    const op = await completed(operationIdOf(retry.body.operation)!);
    expect(op.type).toBe('startInstance');
    expect((await operationsOn(`instance/${id}`)).map((o) => o.workflow_type)).toEqual(['createInstance', 'startInstance']);
    expect((await cluster.db.selectFrom('instances').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('running');
  }, 180_000);

  it('stopping it, with no retry at all: the survivor records the orphaned run within seconds', async () => {
    const id = await builtInstance('crash-stop');
    const start = await fetch(`${survivor.url}/v0/compute/instance/${id}/start`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(start.status).toBe(200);
    const victim = await cluster.addApi(`api-crash-stop`, { PROVISIO_TEST_CRASH_AT: 'after-start:stopInstance' });
    await fetch(`${victim.url}/v0/compute/instance/${id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    expect((await victim.proc.exited).signal).toBe('SIGKILL');
    const deadline = Date.now() + 60_000;
    let ops = await operationsOn(`instance/${id}`);
    while (!ops.some((o) => o.workflow_type === 'stopInstance') && Date.now() < deadline) {
      await sleep(250);
      ops = await operationsOn(`instance/${id}`);
    }
    expect(ops.map((o) => o.workflow_type)).toEqual(['createInstance', 'startInstance', 'stopInstance']);
    await completed(ops[2]!.id);
  }, 180_000);
});

describe('other surfaces, the API dies', () => {
  it('creating a serverless runtime, after the workflow started: one runtime, RUNNING, one VM', async () => {
    const name = `crash-rt-${randomBytes(2).toString('hex')}`;
    const retry = await crashThenRetry('after-start', {
      method: 'POST',
      path: '/serverless-runtimes',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: name, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    const runtimeId: number = retry.body.SERVERLESS_RUNTIME.ID;
    await completed(operationIdOf(retry.headers.get('operation-location'))!);
    const runtimes = await cluster.db.selectFrom('runtimes').select('id').where('name', '=', name).execute();
    expect(runtimes).toEqual([{ id: runtimeId }]);
    expect((await operationsOn(`runtime/${runtimeId}`)).map((o) => o.workflow_type)).toEqual(['createRuntime']);
    const vms = [...(await cluster.cloud.listVms()), ...(await cluster.cloud.listVms({ state: 'deleted' }))].filter((vm) => vm.name === `sr-${runtimeId}-faas`);
    expect(vms).toHaveLength(1);
  }, 180_000);

  it('creating a serverless runtime, once recorded: the retry gets the seed answer (201, PENDING) of the first request', async () => {
    const name = `crash-rt-${randomBytes(2).toString('hex')}`;
    const retry = await crashThenRetry('after-record', {
      method: 'POST',
      path: '/serverless-runtimes',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: name, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(retry.replayed).toBe(true);
    expect(retry.body.SERVERLESS_RUNTIME).toMatchObject({ NAME: name });
    await completed(operationIdOf(retry.headers.get('operation-location'))!);
    expect(await cluster.db.selectFrom('runtimes').select('id').where('name', '=', name).execute()).toHaveLength(1);
  }, 180_000);

  it('launching a cluster, after the workflow started: one cluster, ready', async () => {
    const before = await cluster.db.selectFrom('clusters').select('id').where('product', '=', 'crashy').execute();
    const retry = await crashThenRetry('after-start', {
      method: 'POST',
      path: '/bigdata/api/v1/products/crashy/1.0',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ size: 1 }),
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    await completed(operationIdOf(retry.headers.get('operation-location'))!);
    const after = await cluster.db.selectFrom('clusters').select(['id', 'status']).where('product', '=', 'crashy').execute();
    expect(after.length - before.length).toBe(1);
    expect(after.filter((c) => !before.some((b) => b.id === c.id))).toEqual([{ id: expect.any(Number), status: 'ready' }]);
  }, 180_000);

  it('creating a flavor installed in a region, after the workflow started: one flavor, installed there', async () => {
    const regions = ((await (await fetch(`${survivor.url}/v1/regions`, { headers: { 'x-auth-token': token } })).json()) as { Infrastructures: Array<{ name: string }> }).Infrastructures;
    const region = regions[0]!.name;
    const name = `crash-flavor-${randomBytes(2).toString('hex')}`;
    const retry = await crashThenRetry('after-start', {
      method: 'POST',
      path: '/v1/flavors',
      headers: { 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ flavor: { name, vcpus: 1, ram: 512, disk: 1, swap: 0, nodes: [region] } }),
    });
    expect([201, 202], JSON.stringify(retry.body)).toContain(retry.status);
    await completed(operationIdOf(retry.headers.get('operation-location'))!);
    const flavors = await cluster.db.selectFrom('flavors').select('id').where('name', '=', name).execute();
    expect(flavors).toHaveLength(1);
    const nodes = await cluster.db.selectFrom('flavor_nodes').select('infrastructure_name').where('flavor_id', '=', flavors[0]!.id).execute();
    expect(nodes).toEqual([{ infrastructure_name: region }]);
  }, 180_000);
});

describe('creating an app, the API dies', () => {
  const paas = '/api/v1/nubomedia/paas';
  let repo: Awaited<ReturnType<typeof gitRepository>> | undefined;
  let bearer: string;

  beforeAll(async () => {
    repo = await gitRepository();
    // The PaaS surface's own auth: an OAuth2 password grant (api/apps/oauth.ts).
    const res = await fetch(`${survivor.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('openbatonOSClient:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: cluster.admin.username, password: cluster.admin.password, grant_type: 'password' }).toString(),
    });
    expect(res.status).toBe(200);
    bearer = `Bearer ${((await res.json()) as { value: string }).value}`;
  });
  afterAll(async () => {
    await repo?.remove();
  });

  const appsNamed = (name: string) => cluster.db.selectFrom('apps').select(['id', 'status', 'os_name']).where('name', '=', name).execute();

  for (const point of ['claimed', 'before-start', 'after-start', 'after-record'] as const) {
    it(`at ${point}: the crash leaves the app with its deploy, or nothing; every retry gets one answer; one app deploys`, async () => {
      const name = `crash-app-${point}`;
      const create: Request = {
        method: 'POST',
        path: `${paas}/app`,
        headers: { authorization: bearer, 'project-id': 'demo', 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify(smallApp(repo!.url, { name })),
      };
      const retry = await crashThenRetry(point, create, async () => {
        // What the dead request left: once recorded, the app and its deploy; before, nothing at all.
        const apps = await appsNamed(name);
        if (point === 'after-record') {
          expect(apps).toHaveLength(1);
          expect((await operationsOn(`app/${apps[0]!.id}`)).map((o) => o.workflow_type)).toEqual(['deployApp']);
        } else {
          expect(apps).toEqual([]);
        }
      });
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      // After the operation was recorded, the retry gets the answer recorded with it; before, it runs the request.
      expect(retry.replayed).toBe(point === 'after-record');
      expect(retry.body).toMatchObject({ code: 200, app: { name, status: 'CREATED' } });
      expect(retry.headers.get('operation-location')).toBe(retry.body.operation);
      // Whichever request answered first, a later retry with the key gets that same answer.
      const again = await fetch(`${survivor.url}${create.path}`, { method: 'POST', headers: create.headers, body: create.body });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(retry.body);

      const app: { id: string; osName: string } = retry.body.app;
      const op = await completed(operationIdOf(retry.body.operation)!);
      expect(op).toMatchObject({ type: 'deployApp', resource: { id: `app/${app.id}` } });
      expect(await appsNamed(name)).toEqual([{ id: app.id, status: 'RUNNING', os_name: app.osName }]);
      expect((await operationsOn(`app/${app.id}`)).map((o) => o.workflow_type)).toEqual(['deployApp']);
      expect(await vmsNamed(`media-server-vnf-${app.osName}-1`)).toHaveLength(1);
    }, 180_000);
  }
});

it('afterwards: every start settled, every run ended and recorded (or abandoned having done nothing), no resource half-made', async () => {
  // The runs of abandoned starts end within seconds (their first step sees the start given up).
  const deadline = Date.now() + 60_000;
  let running: string[] = [];
  do {
    running = [];
    for await (const wf of cluster.temporal.workflow.list({ query: `TaskQueue = "${cluster.taskQueue}" AND ExecutionStatus = "Running"` })) {
      // Long-lived by design: runtime supervisors, the event pump, schedules' runs.
      if (!/\/supervisor$|event-pump|\/address$/.test(wf.workflowId) && !wf.workflowId.startsWith('schedule')) running.push(`${wf.type} ${wf.workflowId}`);
    }
    if (running.length) await sleep(500);
  } while (running.length && Date.now() < deadline);
  expect(running).toEqual([]);

  expect(await cluster.db.selectFrom('operation_starts').selectAll().execute()).toEqual([]);
  const pending = await cluster.db.selectFrom('idempotency_keys').select(['key', 'state']).where('state', '!=', 'done').execute();
  expect(pending).toEqual([]);
  const halfMade = await sql<{ what: string }>`
    select 'instance ' || id as what from instances where state = 'building' and deleted_at is null
    union all select 'runtime ' || runtime_id from runtime_functions where state = 'PENDING'
    union all select 'cluster ' || id from clusters where status = 'pending'`.execute(cluster.db);
  expect(halfMade.rows).toEqual([]);

  // Every run of an operation type either has its operations row, or ended having done nothing (abandoned).
  const rows = new Set((await cluster.db.selectFrom('operations').select('run_id').execute()).map((r) => r.run_id));
  const unrecorded: string[] = [];
  for await (const wf of cluster.temporal.workflow.list({ query: `TaskQueue = "${cluster.taskQueue}"` })) {
    if (!wf.memo?.provisioStart || rows.has(wf.runId)) continue;
    unrecorded.push(`${wf.type} ${wf.workflowId} ${wf.status.name}`);
  }
  for (const run of unrecorded) expect(run).toMatch(/ (TERMINATED|FAILED)$/);
}, 120_000);
