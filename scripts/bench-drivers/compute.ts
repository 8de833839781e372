import { keepState, operationInBody, stateOf, type BenchClient, type BenchSurface } from './driver';

/** Kahu instances (/v0/compute, a session cookie): create, start, stop, delete; each answers once done. */

const kahu = (client: BenchClient) => ({ cookie: client.kahuCookie });
const instance = (client: BenchClient, i: number) => stateOf<string>(client, 'compute', i);

export const compute: BenchSurface = {
  surface: 'compute',
  operations: [
    {
      surface: 'compute',
      operation: 'create',
      workflowType: 'createInstance',
      shape: { localActivities: 1, activities: 2 },
      async run(client, i) {
        const res = await client.request('POST', '/v0/compute/instance/', {
          headers: kahu(client),
          body: new URLSearchParams({ profile: 'debian-jessie-amd64', size: '1cpu256mb', name: `bench-${client.round}-${i}` }),
          expected: 201,
        });
        keepState(client, 'compute', i, res.headers.get('location')!);
        return operationInBody(res);
      },
    },
    {
      surface: 'compute',
      operation: 'start',
      workflowType: 'startInstance',
      shape: { localActivities: 2, activities: 2, childWorkflows: 1 },
      async run(client, i) {
        return operationInBody(await client.request('POST', `${instance(client, i)}start`, { headers: kahu(client), expected: 200 }));
      },
    },
    {
      surface: 'compute',
      operation: 'stop',
      workflowType: 'stopInstance',
      shape: { localActivities: 2, activities: 2 },
      async run(client, i) {
        return operationInBody(await client.request('POST', `${instance(client, i)}stop`, { headers: kahu(client), expected: 200 }));
      },
    },
    {
      surface: 'compute',
      operation: 'delete',
      workflowType: 'deleteInstance',
      shape: { localActivities: 3, activities: 1 },
      async run(client, i) {
        return operationInBody(await client.request('DELETE', instance(client, i), { headers: kahu(client), expected: 200 }));
      },
    },
  ],
};
