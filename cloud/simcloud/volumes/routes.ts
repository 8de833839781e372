import { body, bodyString, noContent, parse, pid, type Op, type SimApp, type SimContext } from '../kernel/http';
import type { Vms } from '../vms/vms';
import { attachVolumeBody, createVolumeBody, listVolumesQuery } from './schema';
import type { Volumes } from './volumes';

export function volumeRoutes(app: SimApp, op: Op, volumes: Volumes, vms: Vms): void {
  const volumeRegion = (c: SimContext) => volumes.regionOf(pid(c));
  const vmRegion = async (c: SimContext) => {
    const vmId = await bodyString(c, 'vmId');
    return vmId ? vms.regionOf(vmId) : undefined;
  };

  app.post(
    '/volumes',
    op(
      'createVolume',
      'volume',
      async (c) => {
        const { volume, created } = await volumes.create(parse(createVolumeBody, await body(c)));
        return c.json(volume, created ? 201 : 200);
      },
      vmRegion,
    ),
  );
  app.get('/volumes', op('listVolumes', 'volume', (c) => c.json({ volumes: volumes.list(parse(listVolumesQuery, c.req.query())) })));
  app.get('/volumes/:id', op('getVolume', 'volume', (c) => c.json(volumes.get(pid(c))), volumeRegion));
  app.post(
    '/volumes/:id/attach',
    op('attachVolume', 'volume', async (c) => c.json(await volumes.attach(pid(c), parse(attachVolumeBody, await body(c)).vmId)), vmRegion),
  );
  app.post('/volumes/:id/detach', op('detachVolume', 'volume', async (c) => c.json(await volumes.detach(pid(c))), volumeRegion));
  app.delete(
    '/volumes/:id',
    op(
      'deleteVolume',
      'volume',
      async (c) => {
        await volumes.delete(pid(c));
        return noContent(c);
      },
      volumeRegion,
    ),
  );
}
