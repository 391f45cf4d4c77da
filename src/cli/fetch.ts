// `sprocket fetch SOURCE...`: brings images into the store and prints the
// image ID of each, one per line.
import { Command, Option } from 'commander';
import type { PullPolicy } from '../image/pull-policy.js';
import { globalOptions, pullPolicyOption } from './options.js';

export function register(program: Command): void {
  program
    .command('fetch')
    .description('fetch images into the store from a file, an http(s) URL, an image name (appc meta discovery) or a docker registry, verifying their signatures')
    .argument('<source...>', 'FILE.aci, https://.../x.aci, name[:version][,label=value...], or docker://[REGISTRY/]REPO[:TAG|@DIGEST]')
    .addOption(new Option('--insecure-options <list>', 'comma-separated checks to skip: http (allow plain http), image (no signature check), tls (any certificate), all').default('none'))
    .option('--signature <file>', 'detached armored signature of a local ACI (default FILE.asc)')
    .addOption(pullPolicyOption('update'))
    .addHelpText('after', '\nPrints the image ID of each fetched image. Dependencies are fetched first.\nTrust signing keys with `sprocket trust`. Docker images are unsigned: they need\n--insecure-options=image; registry credentials live in docker.d. See docs/fetch.md.')
    .action(async (sources: string[], o: { insecureOptions: string; signature?: string; pullPolicy: PullPolicy }, cmd: Command) => {
      const [{ fetchImages }, { parseInsecureOptions }, { ImageStore }] = await Promise.all([import('../image/fetch.js'), import('../image/fetch-options.js'), import('../image/store.js')]);
      const g = globalOptions(cmd);
      const ids = await fetchImages(sources, {
        store: await ImageStore.open(g.dir),
        stateDir: g.dir,
        config: g,
        insecure: parseInsecureOptions(o.insecureOptions),
        signature: o.signature,
        pullPolicy: o.pullPolicy,
        warn: (message) => process.stderr.write(`${message}\n`),
      });
      for (const id of ids) process.stdout.write(`${id}\n`);
    });
}
