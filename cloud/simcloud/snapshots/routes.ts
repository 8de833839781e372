import { body, bodyString, noContent, parse, pid, type Op, type SimApp, type SimContext } from '../kernel/http';
import type { Vms } from '../vms/vms';
import { createSnapshotBody, listSnapshotsQuery } from './schema';
import type { Snapshots } from './snapshots';

export function snapshotRoutes(app: SimApp, op: Op, snapshots: Snapshots, vms: Vms): void {
  const snapshotRegion = (c: SimContext) => snapshots.regionOf(pid(c));

  app.post(
    '/snapshots',
    op(
      'createSnapshot',
      'snapshot',
      async (c) => {
        const { snapshot, created } = await snapshots.create(parse(createSnapshotBody, await body(c)));
        return c.json(snapshot, created ? 201 : 200);
      },
      async (c) => {
        const vmId = await bodyString(c, 'vmId');
        return vmId ? vms.regionOf(vmId) : undefined;
      },
    ),
  );
  app.get('/snapshots', op('listSnapshots', 'snapshot', (c) => c.json({ snapshots: snapshots.list(parse(listSnapshotsQuery, c.req.query())) })));
  app.get('/snapshots/:id', op('getSnapshot', 'snapshot', (c) => c.json(snapshots.get(pid(c))), snapshotRegion));
  app.delete(
    '/snapshots/:id',
    op(
      'deleteSnapshot',
      'snapshot',
      async (c) => {
        await snapshots.delete(pid(c));
        return noContent(c);
      },
      snapshotRegion,
    ),
  );
}
