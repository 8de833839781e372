/**
 * Finds or builds the tools that check the deployment files (CI's deploy step), into .tools/bin
 * like the Temporal CLI, reusing them when present:
 *
 *   helm          HELM_PATH when set; else `go install helm.sh/helm/v3/cmd/helm@v3.22.0`
 *                 (a few minutes the first time, then cached)
 *   k8s-validate  tools/k8s-validate (strict decoding into the Kubernetes API types), rebuilt when
 *                 its source is newer than the binary
 *
 * `npm run install-helm` prints both paths, one a line.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { toolsBinDir } from './install-temporal';
import { projectRoot } from './processes';

export const HELM_MODULE = 'helm.sh/helm/v3/cmd/helm@v3.22.0';
const k8sValidateDir = path.join(projectRoot, 'tools', 'k8s-validate');

const log = (message: string) => console.error(`[install-helm] ${message}`);

async function mtime(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

function findGo(): string {
  for (const candidate of [process.env.GOROOT && path.join(process.env.GOROOT, 'bin', 'go'), 'go', '/usr/local/go/bin/go']) {
    if (candidate && spawnSync(candidate, ['version']).status === 0) return candidate;
  }
  throw new Error('Go is needed to build helm and tools/k8s-validate (or set HELM_PATH)');
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, GO111MODULE: 'on', ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (code ${code}, signal ${signal})`)),
    );
  });
}

export async function ensureHelm(): Promise<string> {
  if (process.env.HELM_PATH) {
    if (!(await mtime(process.env.HELM_PATH))) throw new Error(`HELM_PATH=${process.env.HELM_PATH} is not a file`);
    return process.env.HELM_PATH;
  }
  const helm = path.join(toolsBinDir, 'helm');
  if (await mtime(helm)) return helm;
  await fs.mkdir(toolsBinDir, { recursive: true });
  log(`building helm: go install ${HELM_MODULE} (GOBIN=${toolsBinDir}); the first build takes a few minutes`);
  const started = Date.now();
  await run(findGo(), ['install', HELM_MODULE], toolsBinDir, { GOBIN: toolsBinDir });
  log(`built ${helm} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return helm;
}

export async function ensureK8sValidate(): Promise<string> {
  const binary = path.join(toolsBinDir, 'k8s-validate');
  const built = await mtime(binary);
  const sources = await Promise.all(['main.go', 'go.mod', 'go.sum'].map((f) => mtime(path.join(k8sValidateDir, f))));
  if (built && sources.every((s) => s !== undefined && s <= built)) return binary;
  await fs.mkdir(toolsBinDir, { recursive: true });
  log(`building ${path.relative(projectRoot, k8sValidateDir)}`);
  await run(findGo(), ['build', '-o', binary, '.'], k8sValidateDir);
  return binary;
}

const isMain = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  try {
    const helm = await ensureHelm();
    const validator = await ensureK8sValidate();
    console.log(helm);
    console.log(validator);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
