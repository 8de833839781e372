import { DefaultLogger, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';
import { startInProcessPlatform, type InProcessPlatformOptions } from '../../scripts/in-process-platform';
import { createTestDatabase } from './database';
import type { TestResponse } from './http';

// Activity retries are expected in these tests (injected faults); keep the SDK's log to errors.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed in this process
}

export type StackOptions = Pick<InProcessPlatformOptions, 'simcloud' | 'noWorker' | 'config'>;

/**
 * One isolated platform for a test file: its own database, a real simcloud over HTTP, a real
 * worker on its own task queue of the run's shared Temporal dev server, and the real API app.
 */
export async function startStack(options: StackOptions = {}) {
  const database = await createTestDatabase();
  const platform = await startInProcessPlatform({
    ...options,
    databaseUrl: database.url,
    temporalAddress: inject('temporalAddress'),
    temporalNamespace: inject('temporalNamespace'),
    workflowBundlePath: inject('workflowBundlePath'),
  });
  return {
    ...platform,
    /** The API app, answering as it would over HTTP. */
    request: (path: string, init?: RequestInit): Promise<TestResponse> => Promise.resolve(platform.app.request(path, init)),
    async stop() {
      await platform.stop();
      await database.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
