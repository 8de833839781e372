import { invalid } from '../kernel/errors';
import { body, bodyString, noContent, parse, pid, type Op, type SimApp, type SimContext } from '../kernel/http';
import { viewHost, type Hosts } from './hosts';
import { addHostsBody, listHostsQuery } from './schema';
import type { TopologyOptions } from './topology';

/** Capacity of hosts added without explicit sizes. */
export type HostDefaults = Pick<TopologyOptions, 'hostCpu' | 'hostMemoryMb' | 'hostDiskMb'>;

export function hostRoutes(app: SimApp, op: Op, hosts: Hosts, hostDefaults: HostDefaults): void {
  const hostRegion = (c: SimContext) => hosts.find(pid(c))?.region;

  app.get('/regions', op('listRegions', 'region', (c) => c.json({ regions: hosts.listRegions() })));
  app.get(
    '/hosts',
    op('listHosts', 'host', (c) => c.json({ hosts: hosts.list(parse(listHostsQuery, c.req.query()).region) }), (c) => c.req.query('region')),
  );
  app.get('/hosts/:id', op('getHost', 'host', (c) => c.json(viewHost(hosts.get(pid(c)))), hostRegion));
  app.post(
    '/hosts',
    op(
      'addHosts',
      'host',
      async (c) => {
        const b = parse(addHostsBody, await body(c));
        if (b.name && b.count > 1) throw invalid('name: only allowed when count is 1');
        const specs = Array.from({ length: b.count }, () => ({
          region: b.region,
          name: b.name,
          cpu: b.cpu ?? hostDefaults.hostCpu,
          memoryMb: b.memoryMb ?? hostDefaults.hostMemoryMb,
          diskMb: b.diskMb ?? hostDefaults.hostDiskMb,
          labels: { REGION: b.region, ...(b.labels ?? {}) },
        }));
        return c.json({ hosts: await hosts.add(specs) }, 201);
      },
      (c) => bodyString(c, 'region'),
    ),
  );
  app.delete(
    '/hosts/:id',
    op(
      'removeHost',
      'host',
      async (c) => {
        await hosts.remove(pid(c));
        return noContent(c);
      },
      hostRegion,
    ),
  );
}
