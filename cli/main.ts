import { Command, CommanderError, Option } from 'commander';
import { registerAppCommands } from './commands/apps';
import { registerClusterCommands } from './commands/clusters';
import { registerComputeCommands } from './commands/compute';
import { registerFlavorCommands } from './commands/flavors';
import { registerPlatformCommands } from './commands/platform';
import { registerRuntimeCommands } from './commands/runtimes';
import { CliError, EXIT } from './errors';

/**
 * `provisio`: the command line of every Provisio surface. Credentials come from `provisio login`
 * (an API token in ~/.config/provisio/config.json), or PROVISIO_URL / PROVISIO_TOKEN; the runtimes
 * API takes HTTP Basic (PROVISIO_USERNAME / PROVISIO_PASSWORD, or asked on a terminal).
 */
const program = new Command('provisio')
  .description('Provisio from the command line: resources of every surface, operations, live progress and logs')
  .version('0.1.0')
  .addOption(new Option('--url <url>', 'API base URL').env('PROVISIO_URL'))
  .option('--json', 'machine-readable JSON output')
  .option('-p, --project <id>', 'project (Kahu tenant, apps project-id, audit and webhooks project)')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 operation failed (or refused in the resource's state) · 2 usage · 3 auth · 4 not found · 5 server error

Examples:
  provisio login --username admin
  provisio instances create --profile empty --size 1cpu256mb --name web-1 --watch
  provisio watch 0f9c…            # a live progress bar; exit 0 when the operation completed
  provisio runtimes list --json
  provisio logs <app-id> --follow`,
  );

registerPlatformCommands(program);
registerComputeCommands(program);
registerRuntimeCommands(program);
registerAppCommands(program);
registerFlavorCommands(program);
registerClusterCommands(program);

/** Commander throws instead of exiting, everywhere, so parse errors get exit code 2. */
const overrideExit = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(overrideExit);
};
overrideExit(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are not errors; every other parse problem is a usage error.
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'].includes(err.code);
    process.exitCode = benign ? EXIT.ok : EXIT.usage;
  } else if (err instanceof CliError) {
    process.stderr.write(`provisio: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`provisio: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
}
