// Every "doc-test: run" block of README.md and docs/*.md (docs/testing.md,
// "Doc examples"), run in a test host with the Debian package installed, as
// an operator would type it: one test host per host= group, its blocks in
// order, each command's exit status and stated output checked.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../support/command.js';
import { CHECKOUT, useHost } from '../support/host.js';
import {
  blockScript, hostGroups, matchesBlock, printsLine, readBlocks, splitCommands, splitRuns, type DocBlock,
} from '../support/doc-examples.js';

const { version } = JSON.parse(readFileSync(path.join(CHECKOUT, 'package.json'), 'utf8')) as { version: string };
const OUT = path.join(CHECKOUT, 'build', `e2e-doc-examples-${process.pid}`);
/** The operator's working directory in the host; the package is in build/ there, as `make deb` leaves it. */
const WORKDIR = '/root/doc-examples';

let deb: Promise<string> | undefined;
/** packaging/build-deb of dist/ as the suite built it, once for every host. */
const buildDeb = () =>
  (deb ??= runCommand(path.join(CHECKOUT, 'packaging/build-deb'), ['--prebuilt', '--out', OUT]).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }));
after(() => rm(OUT, { recursive: true, force: true }));

const where = (b: DocBlock, line = b.line) => `${b.file}:${line}`;

/** DOC_TEST_HOST=NAME[,NAME]: only these groups (while writing docs). */
const only = process.env.DOC_TEST_HOST?.split(',');

for (const [name, blocks] of hostGroups(CHECKOUT, readBlocks(CHECKOUT))) {
  if (only && !only.includes(name)) continue;
  describe(`doc examples in test host "${name}"`, () => {
    const host = useHost(`docs-${name}`);
    before(async () => {
      const file = await buildDeb();
      // This machine's policy-rc.d forbids starting services (its PID 1 is
      // not systemd); an operator's host has none. Removed in the host only.
      await host().run(['rm', '-f', '/usr/sbin/policy-rc.d']);
      await host().run(['install', '-D', '-m', '0644', file, `${WORKDIR}/build/${path.basename(file)}`]);
      await host().run(['dpkg', '-i', file]);
      assert.equal((await host().run(['sprocket', '--version'])).trim(), version);
    });

    for (const block of blocks) {
      it(`${where(block)} runs as documented`, async () => {
        const marker = block.marker as { setup: string; timeoutSeconds: number };
        const commands = splitCommands(block);
        const script = blockScript(WORKDIR, marker.setup, commands);
        const r = await host().exec(['timeout', String(marker.timeoutSeconds), 'bash', '-c', script], {
          input: '',
          env: { HOME: '/root', PATH: `${CHECKOUT}/test/host/doc-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
        });
        const runs = splitRuns(r.stdout);
        const transcript = `whole output (exit ${r.code}):\n${r.stdout}${r.stderr}`;
        if (marker.setup) assert.equal(runs.get(-1)?.exit, 0, `hidden set-up of ${where(block)} failed\n${transcript}`);
        commands.forEach((c, i) => {
          const run = runs.get(i);
          const said = `${where(block, c.line)}: ${c.text}\nprinted:\n${run?.output ?? '(nothing: not run)'}`;
          assert.equal(run?.exit, c.expect.exit, `${said}\nexit status ${run?.exit ?? 'none (timed out or ended)'}, documented ${c.expect.exit}\n${transcript}`);
          if (c.expect.prints !== undefined) {
            assert.ok(printsLine(c.expect.prints, run?.output ?? ''), `${said}\ndocumented to print a line: ${c.expect.prints}`);
          }
        });
        if (block.output) {
          const last = runs.get(commands.length - 1)?.output ?? '';
          assert.ok(matchesBlock(block.output.text, last), `${where(block.output)}: the output block does not match what ${where(block)}'s last command printed:\n${last}`);
        }
      });
    }
  });
}
