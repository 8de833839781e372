import { printOperationsFigures, runOperationsBench } from './bench-operations';
import { printAppsFigures, runAppsBench } from './bench-apps';
import { printFlavorsFigures, runFlavorsBench } from './bench-flavors';
import { printClustersFigures, runClustersBench } from './bench-clusters';
import { runSimcloudBench } from './bench-simcloud';
import { printScaleFigures, runScaleBench } from './bench-scale';

/**
 * `npm run bench`: the benchmarks in turn, printing figures (goals live here, not in timed test
 * assertions): simcloud at scale (1,000 hosts, 10,000 VMs, 10,000 pods, 20 concurrent builds), the
 * operations next to their ceiling, app deploys, flavor fan-out, cluster launches, and the
 * multi-process scale runs. The empty-workflow ceilings on their own are `scripts/bench-ceiling.ts`.
 */
const figures = await runSimcloudBench();
console.log('simcloud: 1,000 hosts, 10,000 VMs, 10,000 pods, 20 concurrent builds in one process (server and client share the process; RSS includes both)');
for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(18)} ${value}`);
console.log();
printOperationsFigures(await runOperationsBench());
console.log();
printAppsFigures(await runAppsBench());
console.log();
printFlavorsFigures(await runFlavorsBench());
console.log();
printClustersFigures(await runClustersBench());
console.log();
printScaleFigures(await runScaleBench());
process.exit(0);
