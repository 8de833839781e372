import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CloudErrorCode } from '../contract';
import { invalid, SimError, statusForCode } from './errors';
import { applyEvent, eventSchema } from './events';
import { Faults, faultRuleSchema, type Resource } from './faults';
import { mulberry32 } from './rng';
import {
  addHostsBody,
  attachVolumeBody,
  createSnapshotBody,
  createVmBody,
  createVolumeBody,
  listVmsQuery,
  migrateVmBody,
  seedBody,
  startVmBody,
  updateVmBody,
} from './schemas';
import type { Simcloud } from './simcloud';
import type { TopologyOptions } from './types';

type Env = { Bindings: Partial<HttpBindings> };
type Handler = (c: Context<Env>) => Promise<Response> | Response;

export interface AppDeps {
  sim: Simcloud;
  faults: Faults;
  /** Capacity of hosts added without explicit sizes. */
  hostDefaults: Pick<TopologyOptions, 'hostCpu' | 'hostMemoryMb' | 'hostDiskMb'>;
  logger: Logger;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw invalid(`${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
}

/** An empty body counts as {} so `POST /vms/x/stop` needs none. */
async function body(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('body: malformed JSON');
  }
}

const codeForStatus = (status: number): CloudErrorCode =>
  status === 404 ? 'not_found' : status === 409 ? 'conflict' : status >= 500 ? 'unavailable' : 'invalid';

/** Route params are typed optional on a generic Context; every route using pid has ':id'. */
const pid = (c: Context<Env>) => c.req.param('id') ?? '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createApp({ sim, faults, hostDefaults, logger }: AppDeps): Hono<Env> {
  const app = new Hono<Env>();

  /** Wraps a route with its operation name, so fault rules can target it. */
  const op =
    (operation: string, resource: Resource, handler: Handler): Handler =>
    async (c) => {
      const rule = faults.draw(operation, resource);
      if (!rule) return handler(c);
      logger.debug({ operation, rule: rule.id, mode: rule.mode }, 'simcloud: injecting fault');
      if (rule.latencyMs) await sleep(rule.latencyMs);
      if (rule.mode === 'latency') return handler(c);
      const fault = { error: { code: rule.code ?? codeForStatus(rule.status), message: `injected fault (${rule.id}) on ${operation}` } };
      if (rule.mode === 'error') return c.json(fault, rule.status as 503);
      // lost_response: the work is done and persisted, then the reply never arrives.
      await handler(c);
      const socket = c.env?.incoming?.socket;
      if (socket) socket.destroy();
      return c.json(fault, 502);
    };

  app.onError((err, c) => {
    if (err instanceof SimError) return c.json({ error: { code: err.code, message: err.message } }, statusForCode[err.code]);
    logger.error({ err, path: c.req.path }, 'simcloud: unexpected error');
    return c.json({ error: { code: 'unavailable', message: 'internal error' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true, ...sim.stats }));

  // ---- regions and hosts
  app.get('/regions', op('listRegions', 'region', (c) => c.json({ regions: sim.listRegions() })));
  app.get('/hosts', op('listHosts', 'host', (c) => c.json({ hosts: sim.listHosts(c.req.query('region') || undefined) })));
  app.get('/hosts/:id', op('getHost', 'host', (c) => c.json(sim.getHost(pid(c)))));
  app.post(
    '/hosts',
    op('addHosts', 'host', async (c) => {
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
      return c.json({ hosts: await sim.addHosts(specs) }, 201);
    }),
  );

  // ---- VMs
  app.post(
    '/vms',
    op('createVm', 'vm', async (c) => {
      const { vm, created } = await sim.createVm(parse(createVmBody, await body(c)));
      return c.json(vm, created ? 201 : 200);
    }),
  );
  app.get('/vms', op('listVms', 'vm', (c) => c.json({ vms: sim.listVms(parse(listVmsQuery, c.req.query())) })));
  app.get('/vms/:id', op('getVm', 'vm', (c) => c.json(sim.getVm(pid(c)))));
  app.post(
    '/vms/:id/start',
    op('startVm', 'vm', async (c) => c.json(await sim.vmAction(pid(c), 'start', parse(startVmBody, await body(c)).settings))),
  );
  app.post('/vms/:id/stop', op('stopVm', 'vm', async (c) => c.json(await sim.vmAction(pid(c), 'stop'))));
  app.post('/vms/:id/reboot', op('rebootVm', 'vm', async (c) => c.json(await sim.vmAction(pid(c), 'reboot'))));
  app.post(
    '/vms/:id/migrate',
    op('migrateVm', 'vm', async (c) => c.json(await sim.migrateVm(pid(c), parse(migrateVmBody, await body(c))))),
  );
  app.patch(
    '/vms/:id',
    op('updateVm', 'vm', async (c) => c.json(await sim.updateVm(pid(c), parse(updateVmBody, await body(c))))),
  );
  app.delete(
    '/vms/:id',
    op('deleteVm', 'vm', async (c) => {
      await sim.deleteVm(pid(c));
      return c.body(null, 204);
    }),
  );

  // ---- volumes
  app.post(
    '/volumes',
    op('createVolume', 'volume', async (c) => {
      const { volume, created } = await sim.createVolume(parse(createVolumeBody, await body(c)));
      return c.json(volume, created ? 201 : 200);
    }),
  );
  app.get('/volumes', op('listVolumes', 'volume', (c) => c.json({ volumes: sim.listVolumes({ vmId: c.req.query('vmId') || undefined }) })));
  app.get('/volumes/:id', op('getVolume', 'volume', (c) => c.json(sim.getVolume(pid(c)))));
  app.post(
    '/volumes/:id/attach',
    op('attachVolume', 'volume', async (c) => c.json(await sim.attachVolume(pid(c), parse(attachVolumeBody, await body(c)).vmId))),
  );
  app.post('/volumes/:id/detach', op('detachVolume', 'volume', async (c) => c.json(await sim.detachVolume(pid(c)))));
  app.delete(
    '/volumes/:id',
    op('deleteVolume', 'volume', async (c) => {
      await sim.deleteVolume(pid(c));
      return c.body(null, 204);
    }),
  );

  // ---- snapshots
  app.post(
    '/snapshots',
    op('createSnapshot', 'snapshot', async (c) => {
      const { snapshot, created } = await sim.createSnapshot(parse(createSnapshotBody, await body(c)));
      return c.json(snapshot, created ? 201 : 200);
    }),
  );
  app.get('/snapshots', op('listSnapshots', 'snapshot', (c) => c.json({ snapshots: sim.listSnapshots({ vmId: c.req.query('vmId') || undefined }) })));
  app.get('/snapshots/:id', op('getSnapshot', 'snapshot', (c) => c.json(sim.getSnapshot(pid(c)))));
  app.delete(
    '/snapshots/:id',
    op('deleteSnapshot', 'snapshot', async (c) => {
      await sim.deleteSnapshot(pid(c));
      return c.body(null, 204);
    }),
  );

  // ---- chaos (never faulted itself)
  app.get('/_chaos/faults', (c) => c.json({ rules: faults.list() }));
  app.post('/_chaos/faults', async (c) => {
    const b = await body(c);
    const inputs = Array.isArray(b) ? b.map((r) => parse(faultRuleSchema, r)) : [parse(faultRuleSchema, b)];
    return c.json({ rules: inputs.map((r) => faults.add(r)) }, 201);
  });
  app.delete('/_chaos/faults', (c) => {
    faults.clear();
    return c.body(null, 204);
  });
  app.delete('/_chaos/faults/:id', (c) => {
    faults.remove(pid(c));
    return c.body(null, 204);
  });
  app.post('/_chaos/seed', async (c) => {
    const { seed } = parse(seedBody, await body(c));
    faults.setSeed(seed);
    sim.setJitterRng(mulberry32(seed ^ 0x5eed));
    return c.json({ seed });
  });
  app.post('/_chaos/events', async (c) => c.json(await applyEvent(sim, parse(eventSchema, await body(c)))));

  return app;
}
