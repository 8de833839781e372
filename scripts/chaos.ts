/**
 * `npm run chaos` (`npm run chaos -- --help` for the size and the disruptions): a platform of its
 * own under a mixed load over every surface while workers are SIGKILLed (R1), the Temporal dev
 * server restarts (R2) and simcloud faults rise with lost responses and capacity exhaustion (R3).
 * Prints the figures per surface and exits 1 on any stuck operation, duplicate or leak.
 * The code is in scripts/chaos/ (run.ts drives it); test/chaos/ runs it small.
 */
import { pathToFileURL } from 'node:url';
import { parseOptions } from './chaos/options';
import { formatResult } from './chaos/report';
import { runChaos } from './chaos/run';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseOptions(process.argv.slice(2));
  try {
    const result = await runChaos({ ...options, log: (line) => console.log(line) });
    console.log('');
    for (const line of formatResult(result)) console.log(line);
    process.exit(result.problems.length ? 1 : 0);
  } catch (err) {
    console.error(`chaos run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  }
}
