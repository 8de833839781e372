import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A real bare git repository in a temp directory, filled through a work tree: builds clone it
 * over file://. `commit()` writes files and pushes to a branch; `remove()` deletes it all.
 */
export class GitFixture {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'simcloud-git-fixture-'));
  readonly bare = path.join(this.dir, 'repo.git');
  readonly url = pathToFileURL(this.bare).href;
  private readonly work = path.join(this.dir, 'work');

  constructor() {
    this.git(this.dir, 'init', '--quiet', '--bare', '--initial-branch=main', this.bare);
    this.git(this.dir, 'init', '--quiet', '--initial-branch=main', this.work);
    this.git(this.work, 'remote', 'add', 'origin', this.bare);
  }

  /** Commits the files (path → content; null deletes) on `branch` and pushes; returns the commit. */
  commit(files: Record<string, string | null>, branch = 'main'): string {
    const current = this.git(this.work, 'branch', '--show-current');
    if (current !== branch) {
      const exists = this.git(this.work, 'branch', '--list', branch) !== '';
      this.git(this.work, 'checkout', '--quiet', ...(exists ? [branch] : ['-b', branch]));
    }
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.work, file);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    this.git(this.work, 'add', '--all');
    this.git(this.work, 'commit', '--quiet', '--allow-empty', '-m', `commit on ${branch}`);
    this.git(this.work, 'push', '--quiet', 'origin', branch);
    return this.git(this.work, 'rev-parse', 'HEAD');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private git(cwd: string, ...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=fixture', '-c', 'user.email=fixture@example.com', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }).trim();
  }
}

export const NODE_DOCKERFILE = `FROM node:20
ENV NODE_ENV=production API_TOKEN=not-in-logs
WORKDIR /app
COPY package.json ./
RUN npm install
COPY src ./src
EXPOSE 8080
CMD ["node", "src/server.js"]
`;
