// The commander program: global options and the list of commands. Each
// command lives in its own file and only parses flags and calls the modules.
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { DEFAULT_CONFIG_DIR, DEFAULT_DIR, SYSTEM_CONFIG_DIR } from './options.js';
import { EXIT_FAILURE } from '../errors.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

export const program = new Command('sprocket')
  .description('Run App Container (appc) pods as systemd units')
  .version(version)
  .option('--dir <dir>', 'state directory (images, pods)', DEFAULT_DIR)
  .option('--local-config <dir>', 'local configuration directory (trusted keys, net.d)', DEFAULT_CONFIG_DIR)
  .option('--system-config <dir>', 'vendor configuration directory', SYSTEM_CONFIG_DIR)
  .option('--debug', 'print stack traces of errors')
  .hook('preAction', (cmd) => {
    if (cmd.opts().debug) process.env.SPROCKET_DEBUG = '1';
  })
  .exitOverride()
  .showHelpAfterError()
  .addHelpText('after', `\nExit status: ${EXIT_FAILURE} for any failure of sprocket itself, 64 for a bad command line;\n'run' exits with the pod's own status. See docs/exit-codes.md.`);

// Commands register themselves here, one import per command file. A command
// file declares its flags and help only and imports the library inside its
// action (`await import(...)`): every command loads this list, so a static
// import of the library here would load it all for each one, --version
// included (docs/performance.md).
import { register as registerTrust } from './trust.js';
registerTrust(program);
import { register as registerImage } from './image.js';
registerImage(program);
import { register as registerFetch } from './fetch.js';
registerFetch(program);
import { register as registerMetadataService } from './metadata-service.js';
registerMetadataService(program);
import { register as registerRun } from './run.js';
registerRun(program);
import { register as registerGenerate } from './generate.js';
registerGenerate(program);
import { register as registerRunPrepared } from './run-prepared.js';
registerRunPrepared(program);
import { register as registerStatus } from './status.js';
registerStatus(program);
import { register as registerList } from './list.js';
registerList(program);
import { register as registerStop } from './stop.js';
registerStop(program);
import { register as registerRm } from './rm.js';
registerRm(program);
import { register as registerGc } from './gc.js';
registerGc(program);
import { register as registerEnter } from './enter.js';
registerEnter(program);
import { register as registerLogs } from './logs.js';
registerLogs(program);
import { register as registerExport } from './export.js';
registerExport(program);
import { register as registerCatManifest } from './cat-manifest.js';
registerCatManifest(program);
import { register as registerNetworkTeardown } from './network-teardown.js';
registerNetworkTeardown(program);
