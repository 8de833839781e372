import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeSsh, TEST_SSH_KEY } from '../simcloud/fake-ssh';
import { historyText } from '../support/history-text';
import { startStack, type Stack } from '../support/stack';
import { createApp, getApp, gitRepository, paasClient, smallApp, V1, waitForStatus, type PaasClient } from './support';

/**
 * An app from a private repository over ssh: the project stores its git key (POST /secret), the
 * app names it in `secretName`, and the build clones with it. simcloud's ssh is a stand-in that
 * accepts only that key (test/simcloud/fake-ssh.ts) and then serves the clone over git's ssh
 * transport. The key never appears in an answer, a build log or a workflow history.
 */
let stack: Stack;
let paas: PaasClient;
let repo: Awaited<ReturnType<typeof gitRepository>>;
const ssh = fakeSsh(TEST_SSH_KEY);
const KEY_BODY = TEST_SSH_KEY.split('\n')[1]!;

beforeAll(async () => {
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 10, gitSshCommand: ssh.program } });
  paas = await paasClient(stack);
  repo = await gitRepository();
});
afterAll(async () => {
  await repo?.remove();
  ssh.remove();
  await stack?.stop();
});

const sshUrl = () => `ssh://git@example.test${repo.url.replace(/^file:\/\//, '')}`;

it('builds and runs an app from an ssh URL with the project’s git key, which is never shown', async () => {
  const stored = await paas.post(`${V1}/secret`, { projectName: 'demo', privateKey: TEST_SSH_KEY });
  expect(stored.status).toBe(200);
  const secretName = await stored.text();

  const app = await createApp(paas, smallApp(sshUrl(), { name: 'private', secretName }));
  const running = await waitForStatus(paas, app.id, 'RUNNING');
  expect(running.secretName).toBe(secretName);
  expect(ssh.calls().some((c) => /^key=\S+ssh-key mode=600$/.test(c))).toBe(true);

  const buildLog = await (await paas.get(`${V1}/app/${app.id}/buildlogs`)).text();
  expect(buildLog).toContain(`Cloning ${sshUrl()}`);
  const histories: string[] = [];
  for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` })) {
    histories.push(historyText(await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()));
  }
  for (const text of [JSON.stringify(running), JSON.stringify(await getApp(paas, app.id)), buildLog, ...histories]) {
    expect(text).not.toContain(KEY_BODY);
  }
  expect((await paas.delete(`${V1}/app/${app.id}`)).status).toBe(200);
});

it('fails an app from an ssh URL without a key, with ssh’s reason', async () => {
  const app = await createApp(paas, smallApp(sshUrl(), { name: 'keyless' }));
  const failed = await waitForStatus(paas, app.id, 'FAILED');
  expect(JSON.stringify(failed)).toMatch(/Permission denied \(publickey\)/);
});
