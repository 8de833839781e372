import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as it arrived on the wire. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: any;
  /** What the receiver answered (null while a slow handler holds it). */
  answered: number | null;
}

/** Decides the status for a request; may wait (a slow endpoint). */
export type Behaviour = (req: ReceivedWebhook, previous: ReceivedWebhook[]) => number | Promise<number>;

/**
 * A real HTTP server standing in for the systems webhooks are sent to. Each path has a behaviour;
 * every request is kept with its raw body, so a test can verify signatures as a receiver would.
 */
export async function startReceiver(behaviours: Record<string, Behaviour>) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = null;
      }
      const entry: ReceivedWebhook = { path: req.url ?? '/', headers: req.headers, rawBody, body, answered: null };
      const previous = received.filter((r) => r.path === entry.path);
      received.push(entry);
      const behaviour = behaviours[entry.path] ?? (() => 404);
      void Promise.resolve(behaviour(entry, previous)).then((status) => {
        entry.answered = status;
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
