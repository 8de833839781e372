import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyText } from '../support/history-text';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { reconcileFlavors } from '../../workflows/flavors';
import { flavorBody, flavorClient, readDoc, registerRegion, tokenFor, type FlavorClient } from './support';

/**
 * Fan-out across regions, end to end: installs into two regions at once, a region that is down
 * (502 there, the other region done, a retry completes it), a lost reply retried without a
 * duplicate, deletion everywhere, drift repaired by the reconcile schedule, and the region
 * credentials absent from every answer and workflow history.
 */

// Distinctive region credentials, so finding them anywhere they must not be is unambiguous.
const USERNAME = 'region-operator-5e1f';
const PASSWORD = 'pw-9c4d7a0b-region-secret';

let stack: Stack;
let manager: FlavorClient;
const answers: string[] = [];

const catalogOf = (region: string) => stack.cloud.regionCatalog({ url: stack.simcloudUrl, region, username: USERNAME, password: PASSWORD });
const holds = async (region: string, id: string) => (await catalogOf(region).listFlavors()).some((f) => f.id === id);
/** Runs `body` while a fault rule is in place, and always removes it. */
async function withFault<T>(rule: Parameters<Stack['cloud']['addFaultRule']>[0], body: (faultId: string) => Promise<T>): Promise<T> {
  const fault = await stack.cloud.addFaultRule(rule);
  try {
    return await body(fault.id);
  } finally {
    await stack.cloud.removeFaultRule(fault.id).catch(() => {});
  }
}
const operation = async (res: Response) => (await platformClient(stack).get(res.headers.get('operation-location')!)).json();

beforeAll(async () => {
  stack = await startStack({
    simcloud: { username: USERNAME, password: PASSWORD },
    config: { FLAVORS_RECONCILE_INTERVAL_MS: '1000', FLAVORS_REGION_TIMEOUT_MS: '6000' },
  });
  manager = flavorClient(stack, await tokenFor(stack, 'irene', 'manager'), 'json', answers);
  for (const region of ['region-1', 'region-2']) await registerRegion(stack, manager, region, USERNAME, PASSWORD);
});
afterAll(async () => {
  await stack?.cloud.clearFaults();
  await stack?.stop();
});

describe('install and delete fan out to the regions', () => {
  it('installs a flavor into two regions at once, one step per region, visible under its ResourceId', async () => {
    const res = await manager.post('/v1/flavors', flavorBody('duo', { public: true, nodes: ['region-1', 'region-2'] }));
    const { flavor } = await readDoc(res, 'json');
    expect(res.status).toBe(201);
    expect([...flavor.nodes].sort()).toEqual(['region-1', 'region-2']);
    expect(await holds('region-1', flavor.id)).toBe(true);
    expect(await holds('region-2', flavor.id)).toBe(true);

    const op = await operation(res);
    expect(op).toMatchObject({ status: 'completed', type: 'installFlavor', resource: { type: 'flavor', id: `flavor/${flavor.id}` } });
    expect(op.steps.map((s: any) => [s.name, s.state]).sort()).toEqual([
      ['Install in region-1', 'completed'],
      ['Install in region-2', 'completed'],
    ]);
    const visible = await waitFor(async () => {
      const runs = [];
      for await (const wf of stack.temporal.workflow.list({ query: `ResourceId = 'flavor/${flavor.id}'` })) runs.push(wf.type);
      return runs.length ? runs : undefined;
    });
    expect(visible).toEqual(['installFlavor']);
  });

  it('answers 202 with the operation at once for Prefer: respond-async', async () => {
    const res = await manager.post('/v1/flavors', flavorBody('later', { nodes: ['region-1'] }), { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const { flavor } = await readDoc(res, 'json');
    const done = await waitFor(async () => ((await operation(res)).status === 'completed' ? true : undefined));
    expect(done).toBe(true);
    expect((await readDoc(await manager.get(`/v1/flavors/${flavor.id}`), 'json')).flavor.nodes).toEqual(['region-1']);
  });

  it('survives a region that is down: 502 there, the other region done, a retry later completes it', async () => {
    const survivor = await withFault({ region: 'region-2', probability: 1, status: 503 }, async () => {
      expect((await manager.get('/v1/regions/region-2/flavors')).status).toBe(502);
      expect((await manager.get('/v1/regions/region-1/flavors')).status).toBe(200);

      const res = await manager.post('/v1/flavors', flavorBody('survivor', { nodes: ['region-1', 'region-2'] }));
      expect(res.status).toBe(502);
      const message = (await readDoc(res, 'json')).error.message;
      expect(message).toMatch(/is installed in region-1\. Could not install the flavor: region-2 did not answer/);
      const op = await operation(res);
      expect(op.status).toBe('failed');
      expect(op.error.message).toMatch(/region-2 did not answer/);
      expect(Object.fromEntries(op.steps.map((s: any) => [s.name, s.state]))).toEqual({ 'Install in region-1': 'completed', 'Install in region-2': 'failed' });

      const [flavor] = (await readDoc(await manager.get('/v1/flavors'), 'json')).flavors.filter((f: any) => f.name === 'survivor');
      expect(flavor.nodes).toEqual(['region-1']);
      expect(await holds('region-1', flavor.id)).toBe(true);
      return flavor;
    });

    const retried = await manager.put(`/v1/flavors/${survivor.id}`, { flavor: { nodes: ['region-1', 'region-2'] } });
    expect(retried.status).toBe(200);
    expect((await readDoc(retried, 'json')).flavor.nodes).toEqual(['region-1', 'region-2']);
    expect(await holds('region-2', survivor.id)).toBe(true);
  });

  it('retries a lost reply without creating the flavor twice', async () => {
    const res = await withFault({ region: 'region-2', operation: 'createFlavor', probability: 1, mode: 'lost_response' }, async (faultId) => {
      const pending = manager.post('/v1/flavors', flavorBody('echo', { nodes: ['region-2'] }));
      // The first reply is lost (the flavor was created); the retry must find it, not create another.
      await waitFor(async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === faultId)!.hits > 0 ? true : undefined), 30_000, 20);
      await stack.cloud.removeFaultRule(faultId);
      return pending;
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await catalogOf('region-2').listFlavors()).filter((f) => f.name === 'echo')).toHaveLength(1);
  });

  it('deletes a flavor from every region; a region down keeps it there until a retry', async () => {
    const { flavor } = await readDoc(await manager.post('/v1/flavors', flavorBody('leaver', { nodes: ['region-1', 'region-2'] })), 'json');
    await withFault({ region: 'region-2', probability: 1, status: 503 }, async () => {
      const res = await manager.delete(`/v1/flavors/${flavor.id}`);
      expect(res.status).toBe(502);
      expect((await readDoc(res, 'json')).error.message).toMatch(/is installed in region-2\. Could not remove the flavor: region-2 did not answer/);
      expect((await readDoc(await manager.get(`/v1/flavors/${flavor.id}`), 'json')).flavor.nodes).toEqual(['region-2']);
      expect(await holds('region-1', flavor.id)).toBe(false);
    });
    expect((await manager.delete(`/v1/flavors/${flavor.id}`)).status).toBe(204);
    expect(await holds('region-2', flavor.id)).toBe(false);
    expect((await manager.get(`/v1/flavors/${flavor.id}`)).status).toBe(404);
  });
});

describe('drift repair', () => {
  it('brings back a flavor deleted from a region behind our back, as a "Repair" operation', async () => {
    const { flavor } = await readDoc(await manager.post('/v1/flavors', flavorBody('phoenix', { nodes: ['region-1', 'region-2'] })), 'json');
    await catalogOf('region-2').deleteFlavor(flavor.id);
    expect(await holds('region-2', flavor.id)).toBe(false);

    // The schedule runs every second; on a loaded machine a run can take a while to be scheduled.
    await waitFor(async () => ((await holds('region-2', flavor.id)) ? true : undefined), 100_000, 200);
    const repair = await waitFor(async () =>
      stack.db
        .selectFrom('operations')
        .selectAll()
        .where('resource_id', '=', `flavor/${flavor.id}`)
        .where('summary', 'like', 'Repair:%')
        .executeTakeFirst(),
    );
    expect(repair).toMatchObject({ workflow_type: 'installFlavor', project_id: 'demo', created_by: null });
    expect(repair.summary).toBe('Repair: reinstall flavor phoenix in region-2 (missing from the region\'s catalog)');
    const view = await waitFor(async () => {
      const v = await (await platformClient(stack).get(`/v1/operations/${repair.id}`)).json();
      return v.status === 'completed' ? v : undefined;
    });
    expect(view.steps).toEqual([expect.objectContaining({ name: 'Install in region-2', state: 'completed' })]);
    expect((await readDoc(await manager.get(`/v1/flavors/${flavor.id}`), 'json')).flavor.nodes.sort()).toEqual(['region-1', 'region-2']);
  }, 150_000);

  it('leaves a region that now has another flavor of that name to a person, instead of failing a repair every run', async () => {
    const { flavor } = await readDoc(await manager.post('/v1/flavors', flavorBody('twin', { nodes: ['region-2'] })), 'json');
    await catalogOf('region-2').deleteFlavor(flavor.id);
    const impostor = await catalogOf('region-2').createFlavor({ name: 'twin', vcpus: 1, ram: 1, disk: 1 });
    const result = await stack.runWorkflow(reconcileFlavors);
    expect(result.conflicts).toEqual([{ flavorId: flavor.id, region: 'region-2', reason: `region-2 has another flavor named twin (id ${impostor.id})` }]);
    expect(result.repairs.map((r) => r.flavorId)).not.toContain(flavor.id);
    const repairs = await stack.db.selectFrom('operations').select('id').where('resource_id', '=', `flavor/${flavor.id}`).where('summary', 'like', 'Repair:%').execute();
    expect(repairs).toEqual([]);
  });
});

describe('region credentials', () => {
  it('appear in no answer, no operation, no workflow history and no stored row', async () => {
    const forbidden = [USERNAME, PASSWORD, Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')];
    const operations = await (await platformClient(stack).get('/v1/operations?limit=100')).text();
    const rows = JSON.stringify(await stack.db.selectFrom('flavor_infrastructures').selectAll().execute());
    const histories: string[] = [];
    for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` })) {
      histories.push(historyText(await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()));
    }
    expect(histories.length).toBeGreaterThan(5);
    expect(histories.join('\n')).toContain('region-2'); // the histories are readable text: the search is meaningful
    for (const secret of forbidden) {
      for (const [where, text] of [['answers', answers.join('\n')], ['operations', operations], ['rows', rows], ['histories', histories.join('\n')]]) {
        expect(text.includes(secret), `${where} contain a credential`).toBe(false);
      }
    }
  });
});
