import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where builds clone: one temporary directory per build, under a root that belongs to this
 * simcloud (named after its database's instance id). The root is emptied at start, so clones
 * left by a crash never accumulate, and removed at shutdown; each build removes its own
 * directory however it ends.
 */
export class BuildWorkspace {
  readonly root: string;

  constructor(instanceId: string) {
    this.root = path.join(os.tmpdir(), `simcloud-builds-${instanceId}`);
  }

  /** At start: clear what a previous run left behind. */
  async reset(): Promise<void> {
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
    await mkdir(this.root, { recursive: true });
  }

  /** At shutdown, once no build runs: nothing is left behind. */
  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  create(buildId: string): Promise<string> {
    return mkdtemp(path.join(this.root, `${buildId}-`));
  }

  async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}
