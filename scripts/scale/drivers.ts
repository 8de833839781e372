/**
 * Operation drivers: one per API surface that provisions on the cloud backend. Each runs one
 * resource's whole lifecycle through the API as a client would, and names what it leaves in the
 * backend so the run can be checked for duplicates. A new surface joins the load by adding a
 * driver to DRIVERS.
 */
import { step, type CloudCounter, type LoadContext, type OperationDriver, type PerformedOperation } from './load';

/** Kahu compute: create, start, stop and delete an instance (4 operations, one VM). */
export const computeDriver: OperationDriver = {
  name: 'compute',
  operationsPerLifecycle: 4,
  async lifecycle(ctx: LoadContext, index: number): Promise<PerformedOperation[]> {
    const name = `${ctx.runId}-vm-${index}`;
    const auth = { authorization: ctx.authorization('bearer') };
    const since = Date.now();

    /** The instance this lifecycle created, found by its name (unique per run). */
    const findInstance = async (): Promise<number | undefined> => {
      const { status, body } = await ctx.get('/v0/compute/instance/', 'bearer');
      if (status !== 200) return undefined;
      const match = Object.entries(body as Record<string, { name: string }>).find(([, v]) => v.name === name);
      return match ? Number(match[0]) : undefined;
    };
    let adopted: number | undefined;
    // Created with respond-async (202 and the operation link), then followed to its end.
    const create = await step(ctx, 'compute', {
      type: 'createInstance',
      method: 'POST',
      path: '/v0/compute/instance/',
      body: new URLSearchParams({ profile: 'debian-jessie-amd64', size: '1cpu256mb', name }),
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      reconcile: async () => {
        adopted = await findInstance();
        return adopted === undefined ? undefined : ctx.findOperation(`instance/${adopted}`, 'createInstance', since);
      },
    }, [201, 202]);
    const fromAnswer = create.mutation.location?.match(/instance\/(\d+)/)?.[1];
    const instanceId = fromAnswer !== undefined ? Number(fromAnswer) : adopted;
    if (instanceId === undefined) throw new Error(`instance ${name} was not created`);
    const resource = `instance/${instanceId}`;
    const base = `/v0/compute/instance/${instanceId}/`;
    const performed: PerformedOperation[] = [{ ...create, resource }];

    // Start, stop and delete as the seed has them: the answer comes once the change is real.
    for (const [method, path, type] of [
      ['POST', `${base}start`, 'startInstance'],
      ['POST', `${base}stop`, 'stopInstance'],
      ['DELETE', base, 'deleteInstance'],
    ] as const) {
      const since = Date.now();
      performed.push(
        await step(ctx, 'compute', {
          type,
          resource,
          method,
          path,
          sync: true,
          headers: auth,
          reconcile: () => ctx.findOperation(resource, type, since),
        }, [200, 202]),
      );
    }
    return performed;
  },
  async cloudObjects(cloud: CloudCounter, runId: string) {
    return countByName(await cloud.vmNames(), (n) => n.startsWith(`${runId}-vm-`));
  },
};

/** Serverless runtimes: create (until RUNNING) and delete a FaaS runtime (2 operations, one VM). */
export const runtimeDriver: OperationDriver = {
  name: 'runtimes',
  operationsPerLifecycle: 2,
  async lifecycle(ctx: LoadContext, index: number): Promise<PerformedOperation[]> {
    const name = `${ctx.runId}-rt-${index}`;
    const auth = { authorization: ctx.authorization('basic'), 'content-type': 'application/json' };
    const since = Date.now();
    const findRuntime = async (): Promise<number | undefined> => {
      const { status, body } = await ctx.get('/serverless-runtimes?per_page=100');
      if (status !== 200) return undefined;
      const list: Array<{ SERVERLESS_RUNTIME: { ID: number; NAME: string } }> = body?.SERVERLESS_RUNTIMES ?? [];
      return list.find((r) => r.SERVERLESS_RUNTIME.NAME === name)?.SERVERLESS_RUNTIME.ID;
    };
    let adopted: number | undefined;
    // 201 at once (PENDING) with the operation; followed until the runtime runs.
    const create = await step(ctx, 'runtimes', {
      type: 'createRuntime',
      method: 'POST',
      path: '/serverless-runtimes',
      body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: name, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
      headers: auth,
      reconcile: async () => {
        adopted = await findRuntime();
        return adopted === undefined ? undefined : ctx.findOperation(`runtime/${adopted}`, 'createRuntime', since);
      },
    }, [201]);
    const runtimeId: number | undefined = create.mutation.body?.SERVERLESS_RUNTIME?.ID ?? adopted;
    if (runtimeId === undefined) throw new Error(`runtime ${name} was not created`);
    const resource = `runtime/${runtimeId}`;
    const deleteSince = Date.now();
    // DELETE answers 204 once every VM is released.
    const remove = await step(ctx, 'runtimes', {
      type: 'deleteRuntime',
      resource,
      method: 'DELETE',
      path: `/serverless-runtimes/${runtimeId}`,
      sync: true,
      headers: auth,
      reconcile: () => ctx.findOperation(resource, 'deleteRuntime', deleteSince),
    }, [202, 204]);
    return [{ ...create, resource }, remove];
  },
  async cloudObjects(cloud: CloudCounter) {
    // Runtime VMs are named sr-<runtime id>-<role>; the cluster's simcloud holds this run's only.
    return countByName(await cloud.vmNames(), (n) => /^sr-\d+-/.test(n));
  },
};

/** Every surface the load exercises; more join by adding a driver here. */
export const DRIVERS: OperationDriver[] = [computeDriver, runtimeDriver];

function countByName(names: string[], keep: (name: string) => boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names.filter(keep)) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}
