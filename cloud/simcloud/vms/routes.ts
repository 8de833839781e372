import type { Hosts } from '../hosts/hosts';
import { body, bodyString, noContent, parse, pid, type Op, type SimApp, type SimContext } from '../kernel/http';
import { createVmBody, listVmsQuery, migrateVmBody, startVmBody, updateVmBody } from './schema';
import type { Vms } from './vms';

export function vmRoutes(app: SimApp, op: Op, vms: Vms, hosts: Hosts): void {
  const vmRegion = (c: SimContext) => vms.regionOf(pid(c));
  const createRegion = async (c: SimContext) => {
    const hostId = await bodyString(c, 'hostId');
    return (await bodyString(c, 'region')) ?? (hostId ? hosts.find(hostId)?.region : undefined);
  };

  app.post(
    '/vms',
    op(
      'createVm',
      'vm',
      async (c) => {
        const { vm, created } = await vms.create(parse(createVmBody, await body(c)));
        return c.json(vm, created ? 201 : 200);
      },
      createRegion,
    ),
  );
  app.get(
    '/vms',
    op('listVms', 'vm', (c) => c.json({ vms: vms.list(parse(listVmsQuery, c.req.query())) }), (c) => c.req.query('region')),
  );
  app.get('/vms/:id', op('getVm', 'vm', (c) => c.json(vms.get(pid(c))), vmRegion));
  app.post(
    '/vms/:id/start',
    op('startVm', 'vm', async (c) => c.json(await vms.act(pid(c), 'start', parse(startVmBody, await body(c)).settings)), vmRegion),
  );
  app.post('/vms/:id/stop', op('stopVm', 'vm', async (c) => c.json(await vms.act(pid(c), 'stop')), vmRegion));
  app.post('/vms/:id/reboot', op('rebootVm', 'vm', async (c) => c.json(await vms.act(pid(c), 'reboot')), vmRegion));
  app.post(
    '/vms/:id/migrate',
    op('migrateVm', 'vm', async (c) => c.json(await vms.migrate(pid(c), parse(migrateVmBody, await body(c)))), vmRegion),
  );
  app.patch('/vms/:id', op('updateVm', 'vm', async (c) => c.json(await vms.update(pid(c), parse(updateVmBody, await body(c)))), vmRegion));
  app.delete(
    '/vms/:id',
    op(
      'deleteVm',
      'vm',
      async (c) => {
        await vms.delete(pid(c));
        return noContent(c);
      },
      vmRegion,
    ),
  );
}
