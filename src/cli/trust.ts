// `sprocket trust`: adds signing keys for an image name prefix (or for every
// image with --root), and `sprocket trust list` shows them.
import { Command, Option } from 'commander';
import { SprocketError, usage } from '../errors.js';
import { globalOptions } from './options.js';

export function register(program: Command): void {
  const trust = program
    .command('trust')
    .description('trust a public key for images named PREFIX or below it, like PREFIX/app (or for all images with --root)')
    .argument('[key...]', 'armored public key file or http(s) URL; without one, --prefix discovers the keys the publisher offers (ac-discovery-pubkeys)')
    .option('--prefix <prefix>', 'image name prefix to trust the key for, like example.com/app')
    .option('--root', 'trust the key for every image (local key file only, no discovery)')
    .option('--skip-fingerprint-review', 'add the key without asking (no question is asked when stdin is not a terminal either)')
    .addOption(new Option('--insecure-options <list>', 'comma-separated checks to skip when fetching keys: http (allow plain http), tls (any certificate)').default('none'))
    .addHelpText('after', '\nKeys are written to <local-config>/trustedkeys/prefix.d/<prefix>/<fingerprint> or .../root.d/<fingerprint>.\nSee docs/trust.md.')
    .action(async (keys: string[], o: { prefix?: string; root?: boolean; skipFingerprintReview?: boolean; insecureOptions: string }, cmd: Command) => {
      const [{ discoverPubkeys }, { parseInsecureOptions, transportOf }, { addTrustedKeys, formatFingerprint, loadKeyText, readPublicKeys, trustScope }] = await Promise.all([
        import('../image/discovery.js'), import('../image/fetch-options.js'), import('../image/trust.js'),
      ]);
      const g = globalOptions(cmd);
      const scope = trustScope(o);
      const transport = transportOf(parseInsecureOptions(o.insecureOptions));
      if (o.root && (keys.length === 0 || keys.some((k) => /^[a-z]+:\/\//.test(k)))) throw usage('--root takes a local key file');
      const sources = keys.length ? keys : await discoverPubkeys(o.prefix!, transport);
      for (const source of sources) {
        const found = await readPublicKeys(await loadKeyText(source, transport), source);
        if (!found.length) throw new SprocketError('invalid', 'no public key in this file', { file: source });
        const label = o.prefix ? `prefix ${JSON.stringify(o.prefix)}` : 'all images (root)';
        process.stderr.write(`Prefix: ${o.prefix ? JSON.stringify(o.prefix) : '(root)'}\nKey: ${JSON.stringify(source)}\n`);
        for (const key of found) {
          process.stderr.write(`GPG key fingerprint is: ${formatFingerprint(key.getFingerprint())}\n${key.getUserIDs().map((u) => `  ${u}\n`).join('')}`);
        }
        if (!o.skipFingerprintReview && process.stdin.isTTY && !(await confirm())) {
          throw new SprocketError('untrusted', 'the key was not accepted', { file: source });
        }
        for (const added of await addTrustedKeys(g.localConfig, scope, found)) {
          process.stdout.write(`Added key ${added.fingerprint} for ${label} at ${JSON.stringify(added.file)}\n`);
        }
      }
    });

  trust
    .command('list')
    .description('list trusted keys: prefix, fingerprint, user IDs')
    .action(async (_o: unknown, cmd: Command) => {
      const { listTrustedKeys } = await import('../image/trust.js');
      const g = globalOptions(cmd);
      const rows = (await listTrustedKeys(g)).map((k) => [k.prefix ?? '(root)', k.fingerprint, k.userIds.join(', ')]);
      const width = Math.max('PREFIX'.length, ...rows.map((r) => r[0]!.length));
      process.stdout.write(`${'PREFIX'.padEnd(width)}  ${'FINGERPRINT'.padEnd(40)}  USER IDS\n`);
      for (const [prefix, fp, ids] of rows) process.stdout.write(`${prefix!.padEnd(width)}  ${fp!.padEnd(40)}  ${ids}\n`);
    });
}

async function confirm(): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question('Are you sure you want to trust this key (yes/no)? ')).trim());
  } finally {
    rl.close();
  }
}
