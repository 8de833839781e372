import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** What `provisio login` stores: the API URL and an API token (never a password). */
export interface StoredConfig {
  url?: string;
  token?: string;
  tokenId?: string;
  username?: string;
  expiresAt?: string | null;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** ~/.config/provisio/config.json, or under $XDG_CONFIG_HOME; PROVISIO_CONFIG names another file. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROVISIO_CONFIG) return env.PROVISIO_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'provisio', 'config.json');
}

export async function readConfig(file = configPath()): Promise<StoredConfig> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/** Written with mode 0600 (the token is a credential), in a directory only the user can read. */
export async function writeConfig(config: StoredConfig, file = configPath()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function removeConfig(file = configPath()): Promise<void> {
  await rm(file, { force: true });
}
