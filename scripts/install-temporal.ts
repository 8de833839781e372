/**
 * Finds or installs the Temporal CLI (which carries the dev server) and returns its path.
 *
 *   1. TEMPORAL_CLI_PATH, when set (must exist).
 *   2. .tools/bin/temporal (project-local, gitignored) when present.
 *   3. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` with GOBIN=.tools/bin
 *      (later tags carry a `replace` directive and cannot be `go install`ed).
 *   4. Without Go: @temporalio/testing downloads the CLI (needs temporal.download to be reachable),
 *      and the binary is copied into .tools/bin.
 *
 * Run as a script: `npm run install-temporal` prints the path.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './processes';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const toolsBinDir = path.join(projectRoot, '.tools', 'bin');
const exeName = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
export const localCliPath = path.join(toolsBinDir, exeName);

type Log = (message: string) => void;

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() && (process.platform === 'win32' || (stat.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

function findGo(): string | undefined {
  const candidates = [process.env.GOROOT && path.join(process.env.GOROOT, 'bin', 'go'), 'go', '/usr/local/go/bin/go'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

async function goInstall(go: string, log: Log): Promise<string> {
  await fs.mkdir(toolsBinDir, { recursive: true });
  log(`Building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (GOBIN=${toolsBinDir}); first build takes a few minutes`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
      cwd: toolsBinDir, // outside any go.mod
      env: { ...process.env, GOBIN: toolsBinDir, GO111MODULE: 'on' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`go install failed (code ${code}, signal ${signal})`)),
    );
  });
  if (!(await isExecutable(localCliPath))) throw new Error(`go install finished but ${localCliPath} is missing`);
  log(`Built ${localCliPath} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return localCliPath;
}

/** Lets @temporalio/testing download the CLI (its ephemeral dev server), then copies it into .tools/bin. */
async function downloadWithSdk(log: Log): Promise<string> {
  const downloadDir = path.join(projectRoot, '.tools', 'download');
  await fs.mkdir(downloadDir, { recursive: true });
  log('Go is not available: downloading the Temporal CLI through @temporalio/testing (TestWorkflowEnvironment.createLocal)');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650d' }, ui: false },
  });
  await env.teardown();
  // The SDK names the cached binary after its version; take the newest executable it left behind.
  const entries = await fs.readdir(downloadDir);
  const candidates: { file: string; mtime: number }[] = [];
  for (const entry of entries) {
    const file = path.join(downloadDir, entry);
    if (await isExecutable(file)) candidates.push({ file, mtime: (await fs.stat(file)).mtimeMs });
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  if (!candidates[0]) throw new Error(`@temporalio/testing finished but no executable was found in ${downloadDir}`);
  await fs.mkdir(toolsBinDir, { recursive: true });
  await fs.copyFile(candidates[0].file, localCliPath);
  await fs.chmod(localCliPath, 0o755);
  log(`Downloaded Temporal CLI to ${localCliPath}`);
  return localCliPath;
}

let pending: Promise<string> | undefined;

export function ensureTemporalCli(options: { log?: Log } = {}): Promise<string> {
  pending ??= resolveCli(options.log ?? ((m) => console.error(`[install-temporal] ${m}`))).finally(() => {
    pending = undefined;
  });
  return pending;
}

async function resolveCli(log: Log): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    if (!(await isExecutable(resolved))) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return resolved;
  }
  if (await isExecutable(localCliPath)) return localCliPath;
  const go = findGo();
  if (go) return goInstall(go, log);
  return downloadWithSdk(log);
}

const isMain = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  try {
    const cli = await ensureTemporalCli();
    const version = spawnSync(cli, ['--version'], { encoding: 'utf8' });
    console.log(cli);
    if (version.stdout) console.error(`[install-temporal] ${version.stdout.trim()}`);
    if (!existsSync(cli)) process.exitCode = 1;
  } catch (err) {
    console.error(`[install-temporal] ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
