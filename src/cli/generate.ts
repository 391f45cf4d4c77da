// `sprocket generate unit|units`: systemd services whose main process is a
// pod (run --unit-mode=inline, docs/units.md), for one command line or for
// every pod unit file (what the package's systemd generator runs).
import { Command } from 'commander';
import { SprocketError } from '../errors.js';

export function register(program: Command): void {
  const generate = program.command('generate').description('write systemd services that run pods (docs/units.md)');
  generate
    .command('unit')
    .description("print a service whose main process is this pod (run's flags and images, as for sprocket run)")
    .usage('[pod flags] IMAGE [app flags] [-- ARGS] [--- IMAGE [app flags] [-- ARGS]]...')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', '\nThe flags are those of sprocket run (see sprocket run --help) but -d, --interactive,\n--uuid-file-save and --unit-mode. Save the output as /etc/systemd/system/NAME.service,\nor write the same as a pod unit file (docs/units.md).')
    .action(async (argv: string[], _o: unknown, cmd: Command) => {
      const [{ isHelp }, { checkRunArgs }, { podServiceText }, { podLimits }] = await Promise.all([
        import('./run-args.js'), import('../systemd/generator.js'), import('../systemd/pod-unit-file.js'), import('../../stage1-nspawn/pod-limits.js'),
      ]);
      if (isHelp(argv)) cmd.help();
      const request = checkRunArgs(argv, 'command line');
      const what = request.podManifest ?? request.apps.map((a) => a.image).join(' ');
      const sections = { Unit: [`Description=sprocket pod ${what}`], Service: [], Install: ['WantedBy=multi-user.target'] };
      process.stdout.write(podServiceText({ runArgs: argv, sections }, 'sprocket generate unit', podLimits(request.limits)));
    });
  generate
    .command('units')
    .description('turn every pod unit file (/etc/sprocket/systemd/NAME.pod ...) into DIR/NAME.service: the systemd generator')
    .argument('<dir>', "the generator's output directory")
    .action(async (dir: string) => {
      const { generateUnits } = await import('../systemd/generator.js');
      const { errors } = await generateUnits(dir);
      for (const e of errors) process.stderr.write(`${e.describe()}\n`);
      if (errors.length) throw new SprocketError('invalid', `${errors.length} pod unit file(s) not turned into services (above)`);
    });
}
