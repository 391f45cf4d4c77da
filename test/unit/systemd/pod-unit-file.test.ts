import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SprocketError } from '../../../src/errors.js';
import { checkRunArgs, generateUnits } from '../../../src/systemd/generator.js';
import { inlineStopPost, inlineStopRequest, UNIT_RECORDS } from '../../../stage1-nspawn/exit-record.js';
import { installLinks, parsePodUnitFile, podServiceText, splitWords } from '../../../src/systemd/pod-unit-file.js';
import { podLimits } from '../../../stage1-nspawn/pod-limits.js';

const WEB = `# a comment
[Unit]
Description=web pod
After=db.service

[Pod]
Volume=data,kind=empty
SetEnv=GREETING=hello world
Net=none
App=example.com/web --memory=64Mi -- --port "80 81" 'a b' x\\ y
App=example.com/db

[Service]
MemoryMax=256M
Restart=on-failure

[Install]
WantedBy=multi-user.target graphical.target
`;

const run = promisify(execFile);
const UUID = '6f1a3c2e-9d4b-4c8a-b1e2-3f4a5b6c7d8e';

/** A scratch root with the unit records directory and a pod directory of the state directory, as an inline pod's service hooks see them. */
async function withInlinePod(fn: (root: string, units: string, podDir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sprocket-inline-'));
  try {
    const [units, podDir] = [path.join(root, 'units'), path.join(root, 'state', 'pods', UUID)];
    await mkdir(units);
    await mkdir(podDir, { recursive: true });
    await fn(root, units, podDir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const fails = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof SprocketError && pattern.test(e.describe()));

describe('pod unit files', () => {
  it("read: [Pod] keys become run's pod flags in order, App= lines its app groups; the other sections pass through", () => {
    const unit = parsePodUnitFile(WEB, '/etc/sprocket/systemd/web.pod', 'web');
    assert.deepEqual(unit.runArgs, [
      '--name=web', '--volume=data,kind=empty', '--set-env=GREETING=hello world', '--net=none',
      'example.com/web', '--memory=64Mi', '--', '--port', '80 81', 'a b', 'x y', '---', 'example.com/db',
    ]);
    assert.deepEqual(unit.sections, {
      Unit: ['Description=web pod', 'After=db.service'],
      Service: ['MemoryMax=256M', 'Restart=on-failure'],
      Install: ['WantedBy=multi-user.target graphical.target'],
    });
    assert.deepEqual(installLinks(unit), [
      { dir: 'multi-user.target.wants', target: 'multi-user.target' },
      { dir: 'graphical.target.wants', target: 'graphical.target' },
    ]);
  });

  it('Name= replaces the name from the file name', () => {
    assert.equal(parsePodUnitFile('[Pod]\nName=other\nApp=x', 'f.pod', 'f').runArgs[0], '--name=other');
  });

  it('health checks are app flags of App=, checked by the generator with the file named', () => {
    const unit = parsePodUnitFile('[Pod]\nApp=x --health-cmd "wget -qO- http://127.0.0.1/" --health-interval=2s', 'h.pod', 'h');
    assert.deepEqual(checkRunArgs(unit.runArgs, 'h.pod').apps[0]!.annotations, [
      { name: 'sprocket.dev/health-cmd', value: 'wget -qO- http://127.0.0.1/' },
      { name: 'sprocket.dev/health-interval', value: '2s' },
    ]);
    fails(() => checkRunArgs(parsePodUnitFile('[Pod]\nApp=x --health-retries=many', 'h.pod', 'h').runArgs, 'h.pod'),
      /^h\.pod: \[Pod\] --health-retries: must be a whole number/);
  });

  it('refuses what it does not know, naming the file, the line and the key', () => {
    fails(() => parsePodUnitFile('[Pod]\nColour=blue', 'a.pod'), /^a\.pod: line 2: Colour: unknown key in \[Pod\]/);
    fails(() => parsePodUnitFile('[Pods]\nApp=x', 'a.pod'), /^a\.pod: line 1: \[Pods\]: unknown section/);
    fails(() => parsePodUnitFile('App=x', 'a.pod'), /^a\.pod: line 1: App=x: a setting before any section/);
    fails(() => parsePodUnitFile('[Unit]\nDescription=x', 'a.pod'), /^a\.pod: no \[Pod\] section/);
    fails(() => parsePodUnitFile('[Pod]\nApp=--exec /bin/sh', 'a.pod'), /line 2: App: App= starts with an image/);
    fails(() => parsePodUnitFile('[Pod]\nMdsRegister=yes\nApp=x', 'a.pod'), /line 2: MdsRegister: expected true or false/);
    fails(() => splitWords('a "b', { file: 'a.pod', field: 'App' }), /an unclosed "/);
  });

  it('becomes a Type=notify service with Delegate=yes whose ExecStart= is run --unit-mode=inline, every word literal', () => {
    const text = podServiceText(parsePodUnitFile(WEB, '/etc/sprocket/systemd/web.pod', 'web'), '/etc/sprocket/systemd/web.pod', podLimits());
    const lines = text.split('\n');
    for (const l of ['SourcePath=/etc/sprocket/systemd/web.pod', 'Type=notify', 'Delegate=yes', 'KillMode=mixed', 'MemoryMax=256M', '[Install]']) assert.ok(lines.includes(l), l);
    assert.ok(lines.includes('ExecStart="/usr/bin/sprocket" "run" "--unit-mode=inline" "--name=web" "--volume=data,kind=empty" "--set-env=GREETING=hello world" "--net=none" "example.com/web" "--memory=64Mi" "--" "--port" "80 81" "a b" "x y" "---" "example.com/db"'));
    // The operator's lines come after sprocket's: theirs win.
    assert.ok(lines.indexOf('Restart=on-failure') > lines.findIndex((l) => l.startsWith('ExecStart=')));
  });

  it("carries what a pod's own unit does: nspawn's closed device list and the default limits, before the operator's lines", () => {
    const lines = podServiceText(parsePodUnitFile(WEB, 'web.pod', 'web'), 'web.pod', podLimits()).split('\n');
    const ours = [
      'DevicePolicy=closed', 'DeviceAllow=/dev/null rwm', 'DeviceAllow=/dev/zero rwm', 'DeviceAllow=/dev/full rwm', 'DeviceAllow=/dev/random rwm',
      'DeviceAllow=/dev/urandom rwm', 'DeviceAllow=/dev/tty rwm', 'DeviceAllow=/dev/net/tun rwm', 'DeviceAllow=char-pts rw',
      'TasksMax=4096', 'LimitNOFILE=1024:524288', 'LogRateLimitIntervalSec=30000000us', 'LogRateLimitBurst=10000',
    ];
    const at = lines.indexOf(ours[0]!);
    assert.deepEqual(lines.slice(at, at + ours.length), ours);
    assert.ok(at < lines.indexOf('MemoryMax=256M'));
  });

  it('[Pod] TasksMax=, LimitNOFILE=, LogRateLimitIntervalSec=, LogRateLimitBurst= are the limit flags, written as the service\'s own limits', () => {
    const unit = parsePodUnitFile('[Pod]\nTasksMax=64\nLimitNOFILE=256\nLogRateLimitIntervalSec=2min\nLogRateLimitBurst=0\nApp=x', 'l.pod', 'l');
    assert.deepEqual(unit.runArgs, ['--name=l', '--tasks-max=64', '--limit-nofile=256', '--log-rate-limit-interval=2min', '--log-rate-limit-burst=0', 'x']);
    const request = checkRunArgs(unit.runArgs, 'l.pod');
    assert.deepEqual(request.limits, { tasksMax: 64, nofile: 256, logRateLimitInterval: '2min', logRateLimitBurst: 0 });
    const lines = podServiceText(unit, 'l.pod', podLimits(request.limits)).split('\n');
    for (const l of ['TasksMax=64', 'LimitNOFILE=256:256', 'LogRateLimitIntervalSec=120000000us', 'LogRateLimitBurst=0']) assert.ok(lines.includes(l), l);
    fails(() => checkRunArgs(parsePodUnitFile('[Pod]\nTasksMax=lots\nApp=x', 'l.pod').runArgs, 'l.pod'), /^l\.pod: \[Pod\] --tasks-max: must be a positive number of tasks or infinity/);
  });
});

describe("an inline pod's network", () => {
  it('Net= (a named network, CNI_ARGS), Port=, Dns= and the other network keys become run\'s network flags, which run accepts', () => {
    const unit = parsePodUnitFile([
      '[Pod]', 'Net=default:IP=10.225.9.9,other', 'Port=http:8080', 'Port=admin:127.0.0.1:9090', 'Dns=10.0.0.1', 'DnsSearch=example.com',
      'DnsOpt=ndots:2', 'Hostname=web', 'HostsEntry=10.0.0.2=db', 'PullPolicy=never', 'App=example.com/web',
    ].join('\n'), 'web.pod', 'web');
    assert.deepEqual(unit.runArgs, [
      '--name=web', '--net=default:IP=10.225.9.9,other', '--port=http:8080', '--port=admin:127.0.0.1:9090', '--dns=10.0.0.1',
      '--dns-search=example.com', '--dns-opt=ndots:2', '--hostname=web', '--hosts-entry=10.0.0.2=db', '--pull-policy=never', 'example.com/web',
    ]);
    const request = checkRunArgs(unit.runArgs, 'web.pod');
    assert.deepEqual(request.network?.ports?.map((p) => p.hostPort), [8080, 9090]);
    fails(() => checkRunArgs(parsePodUnitFile('[Pod]\nPort=http\nApp=x', 'a.pod').runArgs, 'a.pod'), /^a\.pod: \[Pod\] --port: /);
  });

  it('ExecStopPost= writes the exit record of the pod this run of the service ran, tears its network down with the launcher, and forgets the run', () => withInlinePod(async (root, units, podDir) => {
    // The launcher's stand-in: records its arguments (network-teardown's), fails when told to.
    const launcher = path.join(root, 'sprocket');
    await writeFile(launcher, `#!/bin/sh\necho "$@" >>${root}/calls\n[ ! -e ${root}/fail ]\n`, { mode: 0o755 });
    const stopPost = async (invocation: string) => {
      const [sh, ...args] = inlineStopPost(launcher).map((a) => (a === UNIT_RECORDS ? units : a));
      return run(sh!, args, { env: { PATH: process.env.PATH!, INVOCATION_ID: invocation, SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' } });
    };
    const invocation = 'b'.repeat(32);
    await writeFile(path.join(units, invocation), podDir);
    // Without a network record: the exit record only, no sprocket.
    await stopPost(invocation);
    assert.equal(await readFile(path.join(podDir, 'pod-exit'), 'utf8'), 'signal killed KILL\n');
    await assert.rejects(readFile(path.join(root, 'calls'), 'utf8'), /ENOENT/);
    await assert.rejects(readFile(path.join(units, invocation), 'utf8'), /ENOENT/, 'the run is forgotten');
    // With one: network-teardown of the pod in its state directory, even if it fails (gc retries).
    await writeFile(path.join(units, invocation), podDir);
    await writeFile(path.join(podDir, 'networks.json'), '{}');
    await writeFile(path.join(root, 'fail'), '');
    const r = await stopPost(invocation);
    assert.equal(await readFile(path.join(root, 'calls'), 'utf8'), `--dir ${root}/state network-teardown ${UUID}\n`);
    assert.match(r.stderr, new RegExp(`pod ${UUID}: its network is left for sprocket gc`));
    // Another run of the service (or none recorded): nothing.
    await stopPost('c'.repeat(32));
    assert.equal(await readFile(path.join(root, 'calls'), 'utf8'), `--dir ${root}/state network-teardown ${UUID}\n`);
  }));

  it('ExecStop= marks a stop of the pod this run of the service runs, only while nspawn runs ($MAINPID)', () => withInlinePod(async (_root, units, podDir) => {
    const invocation = 'b'.repeat(32);
    await writeFile(path.join(units, invocation), podDir);
    const stop = async (env: Record<string, string>) => {
      const [sh, ...args] = inlineStopRequest().map((a) => (a === UNIT_RECORDS ? units : a));
      return run(sh!, args, { env: { PATH: process.env.PATH!, INVOCATION_ID: invocation, ...env } });
    };
    // After nspawn ended by itself: systemd runs ExecStop= without $MAINPID.
    await stop({});
    await assert.rejects(readFile(path.join(podDir, 'stop-requested')), /ENOENT/);
    await stop({ MAINPID: '42' });
    assert.equal(await readFile(path.join(podDir, 'stop-requested'), 'utf8'), '');
    assert.match(podServiceText(parsePodUnitFile(WEB, 'web.pod', 'web'), 'web.pod', podLimits()), /^ExecStop="\/bin\/sh" "-c" .*stop-requested/m);
  }));
});

describe('the generator', () => {
  it('writes NAME.service and its [Install] links for every good file, and reports each bad one', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'sprocket-generator-'));
    try {
      const [etc, lib, out] = ['etc', 'lib', 'out'].map((d) => path.join(root, d));
      for (const d of [etc, lib, out]) await mkdir(d!);
      await writeFile(path.join(etc, 'web.pod'), WEB);
      await writeFile(path.join(etc, 'bad.pod'), '[Pod]\nApp=x --no-such-flag');
      await writeFile(path.join(lib, 'web.pod'), '[Pod]\nApp=hidden'); // hidden by /etc's
      await writeFile(path.join(lib, 'db.pod'), '[Pod]\nApp=example.com/db -d');
      await writeFile(path.join(etc, 'notes.txt'), 'not a pod file');
      const result = await generateUnits(out, [etc, lib]);
      assert.deepEqual(result.written, ['web.service']);
      assert.deepEqual(result.errors.map((e) => e.describe().split('\n')[0]), [
        `${etc}/bad.pod: [Pod] --no-such-flag: unknown app flag (after image x): --no-such-flag`,
        `${lib}/db.pod: [Pod] --detach: unknown app flag (after image example.com/db): --detach`,
      ]);
      assert.match(await readFile(path.join(out, 'web.service'), 'utf8'), /"example\.com\/web"/);
      assert.equal(await readlink(path.join(out, 'multi-user.target.wants', 'web.service')), '../web.service');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('socket activation from the host (Port=)', () => {
  it('Port= is --port; the socket listens on each published address, and the [Install] links enable the socket instead of the service', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'sprocket-generator-'));
    try {
      const [etc, out] = ['etc', 'out'].map((d) => path.join(root, d));
      for (const d of [etc, out]) await mkdir(d!);
      const file = path.join(etc, 'lazy.pod');
      await writeFile(file, '[Pod]\nPort=http:8080\nPort=admin:127.0.0.1:9000\nApp=example.com/web\n[Install]\nWantedBy=multi-user.target');
      assert.deepEqual(parsePodUnitFile(await readFile(file, 'utf8'), file, 'lazy').runArgs, ['--name=lazy', '--port=http:8080', '--port=admin:127.0.0.1:9000', 'example.com/web']);
      const result = await generateUnits(out, [etc]);
      assert.deepEqual(result.errors, []);
      assert.equal(await readFile(path.join(out, 'lazy.socket'), 'utf8'), [
        `# Generated by sprocket from ${file} (docs/units.md)`, '[Unit]', `SourcePath=${file}`, `Description=sockets of the pod of ${file}`,
        '', '[Socket]', 'ListenStream=8080', 'ListenStream=127.0.0.1:9000', '',
      ].join('\n'));
      assert.match(await readFile(path.join(out, 'lazy.service'), 'utf8'), /"--port=http:8080" "--port=admin:127\.0\.0\.1:9000"/);
      assert.equal(await readlink(path.join(out, 'multi-user.target.wants', 'lazy.socket')), '../lazy.socket');
      await assert.rejects(readlink(path.join(out, 'multi-user.target.wants', 'lazy.service')));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a bad Port= names the file and the flag', () => {
    assert.throws(() => checkRunArgs(parsePodUnitFile('[Pod]\nPort=http\nApp=x', 'f.pod').runArgs, 'f.pod'),
      (e: unknown) => e instanceof SprocketError && /^f\.pod: \[Pod\] --port: expected NAME:\[HOSTIP:\]HOSTPORT/.test(e.describe()));
  });
});
