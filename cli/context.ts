import type { Command } from 'commander';
import { ApiClient, operationIdOf, type ApiResponse } from './client';
import { DEFAULT_URL, readConfig } from './config';
import { Output } from './output';
import { exitOf, watchOperation } from './watch';

export interface GlobalOptions {
  url?: string;
  json?: boolean;
  project?: string;
}

/** What every command gets: output, the API client (credentials from env, flags and the config file), the project. */
export interface Ctx {
  out: Output;
  project?: string;
  client(): Promise<ApiClient>;
  /** After a mutating answer: notes the operation link, and with --watch follows it to its end (the exit code follows the outcome). */
  operation(res: ApiResponse, options: { watch?: boolean }): Promise<void>;
}

export async function resolveUrl(flag?: string): Promise<string> {
  return flag ?? process.env.PROVISIO_URL ?? (await readConfig()).url ?? DEFAULT_URL;
}

export function contextOf(command: Command): Ctx {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const out = new Output(!!opts.json);
  let client: ApiClient | undefined;
  const ctx: Ctx = {
    out,
    project: opts.project ?? process.env.PROVISIO_PROJECT,
    async client() {
      if (client) return client;
      const config = await readConfig();
      client = new ApiClient(await resolveUrl(opts.url), {
        token: process.env.PROVISIO_TOKEN ?? config.token,
        username: process.env.PROVISIO_USERNAME ?? config.username,
        password: process.env.PROVISIO_PASSWORD,
      });
      return client;
    },
    async operation(res, { watch }) {
      const id = operationIdOf(res);
      if (!id) return;
      out.note(`operation: /v1/operations/${id}${watch ? '' : `  (follow it: provisio watch ${id})`}`);
      if (!watch) return;
      // With --json the command's answer is the output; the watch only decides the exit code.
      const op = await watchOperation(await ctx.client(), new Output(false), id, { quiet: out.json });
      process.exitCode = exitOf(op);
    },
  };
  return ctx;
}
