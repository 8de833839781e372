import { keepState, operationIdOf, stateOf, untilDone, type BenchClient, type BenchSurface } from './driver';

/** Serverless runtimes (/serverless-runtimes, HTTP Basic): create, update, delete. */

const asAdmin = (client: BenchClient, json = false) => ({ authorization: client.basic, ...(json ? { 'content-type': 'application/json' } : {}) });
const runtime = (client: BenchClient, i: number) => stateOf<string>(client, 'runtimes', i);
const spec = (name: string) => JSON.stringify({ SERVERLESS_RUNTIME: { NAME: name, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } });

export const runtimes: BenchSurface = {
  surface: 'runtimes',
  operations: [
    {
      surface: 'runtimes',
      operation: 'create',
      workflowType: 'createRuntime',
      shape: { localActivities: 0, activities: 6, childWorkflows: 1 },
      async run(client, i) {
        // 201 at once (PENDING), as the seed answers; the operation is measured to its end (RUNNING).
        const res = await client.request('POST', '/serverless-runtimes', { headers: asAdmin(client, true), body: spec(`bench-${client.round}-${i}`), expected: 201 });
        keepState(client, 'runtimes', i, res.headers.get('location')!);
        const operationId = operationIdOf(res.headers.get('operation-location'));
        await untilDone(client, operationId);
        return operationId;
      },
    },
    {
      surface: 'runtimes',
      operation: 'update',
      workflowType: 'updateRuntime',
      shape: { localActivities: 2, activities: 4 },
      async run(client, i) {
        const res = await client.request('PUT', runtime(client, i), { headers: asAdmin(client, true), body: spec(`bench-${client.round}-${i}-renamed`), expected: 200 });
        return operationIdOf(res.headers.get('operation-location'));
      },
    },
    {
      surface: 'runtimes',
      operation: 'delete',
      workflowType: 'deleteRuntime',
      shape: { localActivities: 3, activities: 2 },
      async run(client, i) {
        const res = await client.request('DELETE', runtime(client, i), { headers: asAdmin(client), expected: 204 });
        return operationIdOf(res.headers.get('operation-location'));
      },
    },
  ],
};
