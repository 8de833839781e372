import { describe, expect, it } from 'vitest';
import type { LogChunk } from '../../cloud/contract';
import { token, useTestCloud, waitFor } from './support';

// A line every 400 ms: enough to see periodic lines, rare enough to see a long-poll wait.
const t = useTestCloud({ podLogIntervalMs: 400 });

const text = (lines: string[]) => lines.map((l) => l.replace(/^\S+ /, ''));

async function runningPod(extra: Record<string, unknown> = {}) {
  const c = t.client;
  const dep = await c.createDeployment({
    clientToken: token('dep'),
    name: 'api',
    image: 'registry.simcloud/api:0123456789ab',
    replicas: 1,
    cpu: 0.25,
    memoryMb: 256,
    ports: [{ port: 8080 }],
    env: { DB_PASSWORD: 'hunter2', LOG_LEVEL: 'debug' },
    command: ['node', 'server.js'],
    ...extra,
  });
  const [pod] = await waitFor(() => c.listPods({ deploymentId: dep.id }), (ps) => ps[0]?.state === 'running');
  return { dep, pod: pod! };
}

/** Reads until `done`, or until `until` is satisfied. */
async function follow(podId: string, from: number, until: (lines: string[]) => boolean = () => false): Promise<{ lines: string[]; last: LogChunk }> {
  const lines: string[] = [];
  let offset = from;
  for (;;) {
    const last = await t.client.readPodLog(podId, { offset, waitMs: 5000 });
    lines.push(...last.lines);
    offset = last.nextOffset;
    if (last.done || until(lines)) return { lines, last };
  }
}

describe('pod logs', () => {
  it('start-up lines name the image, command, ports and env keys (never values), each with a timestamp', async () => {
    const { pod } = await runningPod();
    const chunk = await t.client.readPodLog(pod.id);
    expect(chunk).toMatchObject({ offset: 0, done: false });
    expect(chunk.lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
    expect(text(chunk.lines).slice(0, 5)).toEqual([
      `Starting ${pod.name} from image registry.simcloud/api:0123456789ab`,
      'Command: node server.js',
      'Environment: DB_PASSWORD, LOG_LEVEL (values hidden)',
      'Listening on 8080/TCP',
      'Ready',
    ]);
    expect(chunk.lines.join('\n')).not.toContain('hunter2');

    const window = await t.client.readPodLog(pod.id, { offset: 1, limit: 2 });
    expect(window).toMatchObject({ offset: 1, nextOffset: 3, lines: chunk.lines.slice(1, 3) });
  });

  it('follows: a long-poll returns once a periodic line is written; lines read the same again', async () => {
    const { pod } = await runningPod();
    const first = await t.client.readPodLog(pod.id);
    const next = await t.client.readPodLog(pod.id, { offset: first.nextOffset, waitMs: 10_000 });
    expect(next.lines.length).toBeGreaterThan(0);
    expect(text(next.lines)[0]).toMatch(new RegExp(`^${pod.name} healthy, uptime \\d+s$`));
    const again = await t.client.readPodLog(pod.id, { offset: first.nextOffset, limit: next.lines.length });
    expect(again.lines).toEqual(next.lines);
  });

  it('a crash wakes a follower; done once the pod is deleted and every line is read', async () => {
    const c = t.client;
    const { dep, pod } = await runningPod();
    const start = await c.readPodLog(pod.id);
    const following = follow(pod.id, start.nextOffset, (lines) => lines.some((l) => l.includes('Container exited')));
    await c.crashPod(pod.id, { reason: 'exit code 137' });
    expect(text((await following).lines)).toContain('Container exited: exit code 137');
    await waitFor(() => c.getPod(pod.id), (p) => p.state === 'running');

    const whole = await c.readPodLog(pod.id, { limit: 10_000 });
    expect(text(whole.lines)).toContain(`Restarting ${pod.name} (restart 1) from image registry.simcloud/api:0123456789ab`);

    const tail = follow(pod.id, whole.nextOffset);
    await c.deleteDeployment(dep.id);
    const { lines, last } = await tail;
    expect(last.done).toBe(true);
    expect(text(lines).at(-1)).toBe('Container exited: terminated (deployment deleted)');
    const after = await c.readPodLog(pod.id, { offset: last.nextOffset, waitMs: 5000 });
    expect(after).toEqual({ offset: last.nextOffset, lines: [], nextOffset: last.nextOffset, done: true });
  });

  it('a failed pod that never started has an empty, finished log', async () => {
    const c = t.client;
    await c.addFaultRule({ operation: 'startPod', probability: 1 });
    const dep = await c.createDeployment({ clientToken: token('dep'), name: 'doomed', image: 'x:1', replicas: 1, cpu: 0.1, memoryMb: 64 });
    const [pod] = await waitFor(() => c.listPods({ deploymentId: dep.id }), (ps) => ps[0]?.state === 'failed');
    await c.clearFaults();
    expect(await c.readPodLog(pod!.id, { waitMs: 5000 })).toEqual({ offset: 0, lines: [], nextOffset: 0, done: true });
    expect((await c.readPodLog('pod-unknown').catch((e) => e)).code).toBe('not_found');
  });
});
