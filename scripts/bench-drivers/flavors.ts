import { keepState, operationIdOf, stateOf, type BenchClient, type BenchSurface } from './driver';

/**
 * FIWARE flavor sync (/v1/flavors, /v1/regions, an `X-Auth-Token`): a catalog flavor created into
 * region-1, then installed into region-2 too, then deleted from both; and a flavor of region-1's
 * own catalog created and deleted. Each answers once its regions are done.
 */

const REGIONS = ['region-1', 'region-2'] as const;

interface BenchFlavor {
  /** The catalog flavor. */
  id: string;
  /** The flavor of region-1's own catalog. */
  regionFlavorId?: string;
}

const token = (client: BenchClient, json = false) => ({ 'x-auth-token': client.apiToken, accept: 'application/json', ...(json ? { 'content-type': 'application/json' } : {}) });
const flavorOf = (client: BenchClient, i: number) => stateOf<BenchFlavor>(client, 'flavors', i);
const operationOf = (res: Response) => operationIdOf(res.headers.get('operation-location'));
const spec = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ flavor: { name, vcpus: 1, ram: 512, disk: 1, swap: 0, ...extra } });

export const flavors: BenchSurface = {
  surface: 'flavors',
  /** simcloud's two regions as infrastructures, with its credentials (cloud/simcloud DEV_CREDENTIALS). */
  async prepare(client) {
    for (const name of REGIONS) {
      await client.request('POST', '/v1/infrastructures', {
        headers: token(client, true),
        body: JSON.stringify({ infrastructure: { name, keystone_url: client.platform.simcloudUrl, username: 'simcloud', password: 'simcloud-dev-secret', tenant: 'demo' } }),
        expected: 201,
      });
    }
  },
  operations: [
    {
      surface: 'flavors',
      operation: 'create',
      workflowType: 'installFlavor',
      // Per region: install, record the node.
      shape: { localActivities: 1, activities: 1 },
      async run(client, i) {
        const res = await client.request('POST', '/v1/flavors', {
          headers: token(client, true),
          body: spec(`bench-${client.round}-${i}`, { nodes: ['region-1'] }),
          expected: 201,
        });
        keepState(client, 'flavors', i, { id: ((await res.json()) as { flavor: { id: string } }).flavor.id } satisfies BenchFlavor);
        return operationOf(res);
      },
    },
    {
      surface: 'flavors',
      operation: 'add node',
      workflowType: 'installFlavor',
      shape: { localActivities: 1, activities: 1 },
      async run(client, i) {
        const body = JSON.stringify({ flavor: { nodes: ['region-2'] } });
        return operationOf(await client.request('PUT', `/v1/flavors/${flavorOf(client, i).id}`, { headers: token(client, true), body, expected: 200 }));
      },
    },
    {
      surface: 'flavors',
      operation: 'delete',
      workflowType: 'deleteFlavor',
      // Find its regions; per region (2): remove, forget the node; forget the flavor.
      shape: { localActivities: 4, activities: 2 },
      async run(client, i) {
        return operationOf(await client.request('DELETE', `/v1/flavors/${flavorOf(client, i).id}`, { headers: token(client), expected: 204 }));
      },
    },
    {
      surface: 'flavors',
      operation: 'region create',
      workflowType: 'createRegionFlavor',
      shape: { localActivities: 0, activities: 1 },
      async run(client, i) {
        const res = await client.request('POST', '/v1/regions/region-1/flavors', { headers: token(client, true), body: spec(`bench-${client.round}-${i}-own`), expected: 201 });
        flavorOf(client, i).regionFlavorId = ((await res.json()) as { flavor: { id: string } }).flavor.id;
        return operationOf(res);
      },
    },
    {
      surface: 'flavors',
      operation: 'region delete',
      workflowType: 'deleteRegionFlavor',
      shape: { localActivities: 0, activities: 1 },
      async run(client, i) {
        return operationOf(await client.request('DELETE', `/v1/region/region-1/flavors/${flavorOf(client, i).regionFlavorId}`, { headers: token(client), expected: 204 }));
      },
    },
  ],
};
