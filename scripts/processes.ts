/**
 * Small process helpers shared by the dev launcher, the Temporal dev server wrapper and the test
 * global setup: free ports, child processes with prefixed output, stop-by-PID with a grace period.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A port the OS considers free right now on `host` (small race window, fine for dev and tests). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  server.unref();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `preferred` when free, else a random free port; 0 always means random. */
export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  if (preferred > 0 && (await isPortFree(preferred, host))) return preferred;
  return freePort(host);
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs, intervalMs = 250, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(intervalMs);
  }
}

const COLORS = [36, 35, 33, 32, 34, 31, 96, 95];
let colorIndex = 0;

/** Writes each complete line of `stream` to `out` with a prefix; keeps the last lines for error messages. */
export function pipeLines(
  stream: NodeJS.ReadableStream | null | undefined,
  onLine: (line: string) => void,
): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, nl).replace(/\r$/, ''));
      buffer = buffer.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buffer) onLine(buffer);
    buffer = '';
  });
}

export function makePrefix(name: string, width = 9): string {
  const label = `[${name}]`.padEnd(width + 2);
  if (!process.stdout.isTTY || process.env.NO_COLOR) return label;
  const color = COLORS[colorIndex++ % COLORS.length];
  return `\x1b[${color}m${label}\x1b[0m`;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  readonly hasExited: () => boolean;
  /** Last lines of output, for error messages. */
  readonly tail: () => string;
  /** SIGTERM (to the process group when detached), wait up to `graceMs`, then SIGKILL; resolves on exit. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Synchronous SIGKILL, for `process.on('exit')` safety nets. */
  killNow(): void;
}

export interface SpawnManagedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Own process group, so a terminal Ctrl-C reaches only the launcher, which stops children in order. */
  detached?: boolean;
  /** Called for each output line; default: print with a `[name]` prefix. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Lines of output kept for `tail()`. */
  tailLines?: number;
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: SpawnManagedOptions = {},
): ManagedProcess {
  const detached = options.detached ?? true;
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? projectRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  };
  const child = spawn(command, args, spawnOptions);
  const tailLines = options.tailLines ?? 60;
  const lines: string[] = [];
  const prefix = options.onLine ? '' : makePrefix(name);
  const onLine =
    options.onLine ??
    ((line: string, stream: 'stdout' | 'stderr') => {
      (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix} ${line}\n`);
    });
  const record = (stream: 'stdout' | 'stderr') => (line: string) => {
    lines.push(line);
    if (lines.length > tailLines) lines.shift();
    onLine(line, stream);
  };
  pipeLines(child.stdout, record('stdout'));
  pipeLines(child.stderr, record('stderr'));

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      lines.push(`spawn error: ${err.message}`);
      exitInfo = { code: -1, signal: null };
      resolve(exitInfo);
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (e.g. ENOENT); 'error' fires on next tick and resolves `exited`.
  }

  const signalTree = (signal: NodeJS.Signals) => {
    if (exitInfo || child.pid === undefined) return;
    try {
      if (detached) process.kill(-child.pid, signal);
      else process.kill(child.pid, signal);
    } catch {
      try {
        process.kill(child.pid, signal);
      } catch {
        /* already gone */
      }
    }
  };

  let stopping: Promise<ExitInfo> | undefined;
  return {
    name,
    child,
    get pid() {
      return child.pid ?? -1;
    },
    exited,
    hasExited: () => exitInfo !== undefined,
    tail: () => lines.join('\n'),
    stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM') {
      if (exitInfo) return Promise.resolve(exitInfo);
      stopping ??= (async () => {
        signalTree(signal);
        const timer = setTimeout(() => signalTree('SIGKILL'), graceMs);
        const info = await exited;
        clearTimeout(timer);
        // A detached group may still hold grandchildren (tsx's node child); make sure none survive.
        if (detached && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* group empty */
          }
        }
        return info;
      })();
      return stopping;
    },
    killNow() {
      signalTree('SIGKILL');
    },
  };
}

/** Command + args that run a TypeScript entry with tsx in a single Node process. */
export function tsxCommand(entry: string, extraNodeArgs: string[] = []): [string, string[]] {
  return [process.execPath, [...extraNodeArgs, '--import', 'tsx', entry]];
}
