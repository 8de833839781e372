import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { usageError } from './errors';

/** Asks on the terminal; outside one (scripts, CI) a missing value is a usage error. */
export async function ask(question: string, { hidden = false, flag }: { hidden?: boolean; flag: string }): Promise<string> {
  if (!process.stdin.isTTY) throw usageError(`${flag} is required when not running in a terminal`);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = hidden;
    const value = await answer;
    if (hidden) process.stderr.write('\n');
    return value;
  } finally {
    rl.close();
  }
}
