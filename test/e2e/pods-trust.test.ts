// What a pod's image or apps cannot do to the host or to other pods (issue 8,
// security half): forge another pod's log lines or sprocket's events, or
// take more privilege than the operator grants; nor an image in the store to
// the host's other users (issue 20: the store is private).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useHost } from '../support/host.js';
import { chmod, copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../support/command.js';
import { notifyReadyCommand } from '../support/notify.js';
import { busyboxImage, CLI, IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/trust';
const GREEDY = 'example.com/greedy';
/** Root, says READY=1 (so it gets the pod's /usr at /.sprocket/usr). */
const NOTIFYING = 'example.com/trust-notify';
/** A file of the host's root alone, in the host's /usr, which the pod has bound read-only. */
const ROOT_ONLY = '/usr/local/share/sprocket-root-only';
/** A native journal entry and a syslog line from a writer that lives on a second. */
const NATIVE_AND_SYSLOG = [
  'import socket, time',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.sendto(b"MESSAGE=native-line\\n", "/run/systemd/journal/socket")',
  's.sendto(b"<14>guard: syslog-line", "/dev/log")',
  'time.sleep(1)',
].join('; ');
/** CAP_SYS_ADMIN's bit in /proc/PID/status. */
const CAP_SYS_ADMIN = 21n;

describe('pods: trust', () => {
  const host = useHost('e2e-pods-trust');

  before(async () => {
    // Root, with the host's /usr (bound read-only by the pod that uses it) for util-linux's logger.
    await busyboxImage(host(), IMAGE, { app: { exec: ['/bin/true'], user: '0', group: '0' } }, { lib: 'usr/lib', lib64: 'usr/lib64' });
    await busyboxImage(host(), NOTIFYING, { annotations: [{ name: 'appc.io/executor/supports-systemd-notify', value: 'true' }], app: { exec: ['/bin/true'], user: '0', group: '0' } });
    await busyboxImage(host(), GREEDY, { app: {
      exec: ['/bin/sh', '-c', 'busybox grep ^CapEff: /proc/self/status'], user: '0', group: '0',
      isolators: [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] } }],
    } });
  });

  it("an image's capabilities beyond the defaults are refused before anything is made; the operator's flag allows them", async () => {
    const pods = async () => readdir(onMachine(host(), `${IN_HOST}/pods`)).catch(() => []);
    const before = await pods();
    const refused = await sprocket(host(), ['run', GREEDY]);
    assert.equal(refused.code, 254, refused.stderr);
    assert.match(refused.stderr, /image example\.com\/greedy: app\.isolators\[0\]: os\/linux\/capabilities-retain-set asks for CAP_SYS_ADMIN/);
    assert.match(refused.stderr, /--insecure-options=capabilities/);
    assert.deepEqual(await pods(), before, 'no pod directory made');

    const granted = await sprocket(host(), ['run', '--insecure-options=capabilities', GREEDY]);
    assert.equal(granted.code, 0, granted.stderr);
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(granted.stdout)![1]}`);
    assert.equal((capEff >> CAP_SYS_ADMIN) & 1n, 1n, granted.stdout);
  });

  it("an app cannot forge another pod's lines or sprocket's events; logs leave the stage1 console out", async () => {
    const victim = (await sprocketOk(host(), ['prepare', IMAGE, '--name', 'web', '--exec', '/bin/sh', '--', '-c', 'echo victim-line; exit 3'])).trim();
    // Native journal entries (logger --journald) that claim the victim's app and sprocket's end of it.
    const forge = (fields: string[]) => `printf '${fields.join('\\n')}\\n' | /usr/bin/logger --journald`;
    const script = [
      forge(['MESSAGE=forged-app-line', `SPROCKET_POD=${victim}`, 'SYSLOG_IDENTIFIER=web', 'PRIORITY=6']),
      forge([`MESSAGE=pod ${victim}: forged stopped`, `SPROCKET_POD=${victim}`, 'SYSLOG_IDENTIFIER=sprocket', 'SPROCKET_EVENT=stopped', 'SPROCKET_EXIT_STATUS=0']),
      'echo forger-done',
    ].join('; ');
    const forger = await sprocket(host(), [
      'run', '--volume', 'usr,kind=host,source=/usr,readOnly=true',
      IMAGE, '--name', 'forger', '--mount', 'volume=usr,target=/usr', '--exec', '/bin/sh', '--', '-c', script,
    ]);
    assert.equal(forger.code, 0, forger.stderr);
    // What it wrote to the journal is its own line when journald saw its cgroup (logger may be gone before: then nobody's).
    assert.match(forger.stdout, /^forger-done$/m);
    await host().run(['journalctl', '--sync']);
    // The forged entries did reach the journal, claiming the victim.
    const claimed = await host().run(['journalctl', '-o', 'cat', `SPROCKET_POD=${victim}`]);
    assert.match(claimed, /^forged-app-line$/m);
    assert.match(claimed, /forged stopped/);

    // The foreground run shows the victim's own line only.
    const run = await sprocket(host(), ['run-prepared', victim]);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, 'victim-line\n');

    const logs = await sprocketOk(host(), ['logs', victim]);
    assert.doesNotMatch(logs, /forged/);
    assert.match(logs, /web: victim-line\n/);
    assert.match(logs, /sprocket: pod \S+: started\n/);
    assert.match(logs, /sprocket: .*exit(ed with)? status 3\n/);
    // No stage1 console (nspawn, the pod's systemd) unless asked for.
    assert.doesNotMatch(logs, /Welcome to|\[ {2}OK {2}\]|systemd-nspawn/);
    const last = (await sprocketOk(host(), ['logs', '--lines', '2', victim])).split('\n').filter(Boolean);
    assert.deepEqual(last, logs.split('\n').filter(Boolean).slice(-2));
    assert.match(await sprocketOk(host(), ['logs', '--stage1', victim]), /stage1 systemd-nspawn: Welcome to sprocket stage1!/);
    assert.equal(await sprocketOk(host(), ['logs', '--app', 'web', victim]).then((l) => l.replace(/^\S+ /gm, '')), 'web: victim-line\n');

    const status = await podStatusJson(host(), victim);
    assert.equal(status.state, 'exited');
    assert.deepEqual(status.apps.map((a) => [a.name, a.state, a.exitStatus]), [['web', 'exited', 3]]);
  });

  it("an app cannot call journald's control socket; its native, syslog and stream lines still arrive as its own", async () => {
    // A root app with the host's journalctl, python3 and systemd-cat: io.systemd.journal (Rotate wiped the journal's history) is not in its root, nor reachable through another process's root.
    const script = [
      'if /usr/bin/journalctl --rotate 2>/dev/null; then echo rotate-allowed; else echo rotate-refused; fi',
      'echo journal: $(ls -A /run/systemd/journal)',
      'for p in /proc/[0-9]*/root/sprocket/journal /proc/[0-9]*/root/run/systemd/journal; do [ -e "$p/io.systemd.journal" ] && echo "reached $p"; done',
      // journald reads a writer's cgroup when it handles the line: each writer stays a second (logger would exit at once).
      `/usr/bin/python3 -c '${NATIVE_AND_SYSLOG}'`,
      '{ echo stream-line; sleep 1; } | /usr/bin/systemd-cat -t guard',
      'echo stdout-line',
    ].join('; ');
    const uuid = (await sprocketOk(host(), [
      'prepare', '--volume', 'usr,kind=host,source=/usr,readOnly=true',
      IMAGE, '--name', 'guard', '--mount', 'volume=usr,target=/usr', '--exec', '/bin/sh', '--', '-c', script,
    ])).trim();
    const r = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rotate-refused$/m);
    assert.match(r.stdout, /^journal: dev-log socket stdout$/m);
    assert.doesNotMatch(r.stdout, /reached/);
    await host().run(['journalctl', '--sync']);
    const logs = await sprocketOk(host(), ['logs', '--app', 'guard', uuid]);
    for (const line of ['native-line', 'syslog-line', 'stream-line', 'stdout-line']) assert.match(logs, new RegExp(`guard: .*${line}\n`), logs);
  });
  it('an unprivileged host user cannot run an image\'s setuid-root binary from the store nor open its device node; the import kept neither the device nor a file capability', async () => {
    // The attacker's image: a setuid-root cat, a cat with cap_dac_read_search, a world-writable kmsg device.
    const layout = onMachine(host(), `${IN_HOST}/layouts/private-store`);
    await mkdir(path.join(layout, 'rootfs/bin'), { recursive: true });
    await mkdir(path.join(layout, 'rootfs/dev'), { recursive: true });
    await writeFile(path.join(layout, 'manifest'), JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/setuid', app: { exec: ['/bin/cat'], user: '0', group: '0' } }));
    for (const name of ['cat', 'capcat']) await copyFile('/bin/cat', path.join(layout, 'rootfs/bin', name));
    await chmod(path.join(layout, 'rootfs/bin/cat'), 0o4755);
    for (const [cmd, ...args] of [['setcap', 'cap_dac_read_search+ep', path.join(layout, 'rootfs/bin/capcat')], ['mknod', '-m', '0666', path.join(layout, 'rootfs/dev/kmsg'), 'c', '1', '11']]) {
      const r = await runCommand(cmd!, args);
      assert.equal(r.code, 0, r.stderr);
    }
    const aci = `${layout}.aci`;
    const build = await runCommand(process.execPath, [CLI, 'image', 'build', '--no-compression', '--owner-root', layout, aci]);
    assert.equal(build.code, 0, build.stderr);
    const imported = await sprocket(host(), ['image', 'import', `${IN_HOST}/layouts/private-store.aci`]);
    assert.equal(imported.code, 0, imported.stderr);
    const id = imported.stdout.trim();
    assert.match(imported.stderr, /private-store\.aci: rootfs\/dev\/kmsg: character device not created/);
    assert.match(imported.stderr, /private-store\.aci: rootfs\/bin\/capcat: extended attribute security\.capability left out/);
    const tree = `${IN_HOST}/images/${id}/rootfs`;
    // The setuid bit is kept (an app may need su): the store's mode is what stands between it and host users.
    assert.equal((await stat(onMachine(host(), `${tree}/bin/cat`))).mode & 0o7777, 0o4755);
    assert.equal((await stat(onMachine(host(), `${IN_HOST}/images`))).mode & 0o777, 0o700);
    assert.equal((await host().run(['getcap', `${tree}/bin/capcat`])).trim(), '', 'no file capability in the store');
    await assert.rejects(stat(onMachine(host(), `${tree}/dev/kmsg`)), { code: 'ENOENT' });

    // A shell of uid 65534 without capabilities (setpriv keeps root's capabilities until it execs: its own exec would still traverse).
    const asNobody = (argv: string[]) => host().exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', 'exec "$@"', 'sh', ...argv]);
    assert.equal((await asNobody(['sh', '-c', 'id -u; grep ^CapEff /proc/self/status'])).stdout, '65534\nCapEff:\t0000000000000000\n');
    for (const cat of ['cat', 'capcat']) {
      const shadow = await asNobody([`${tree}/bin/${cat}`, '/etc/shadow']);
      assert.notEqual(shadow.code, 0, `${cat} ran: ${shadow.stdout}`);
      assert.doesNotMatch(shadow.stdout, /^root:/m);
      assert.match(shadow.stderr, /Permission denied/);
    }
    const kmsg = await asNobody(['sh', '-c', `echo attacker > ${tree}/dev/kmsg`]);
    assert.notEqual(kmsg.code, 0);
    assert.match(kmsg.stderr, /Permission denied/);
    const list = await asNobody(['ls', `${IN_HOST}/images`, `${IN_HOST}/pods`]);
    assert.notEqual(list.code, 0);
    assert.doesNotMatch(list.stdout, /sha512-/);
  });

  it("--private-users=yes: the pod's root is a range of unprivileged host uids: its files are the range's, a root-only file of the host is closed to it, mknod fails; its lines and health events are its own", async () => {
    await host().run(['sh', '-c', `echo secret >${ROOT_ONLY} && chmod 600 ${ROOT_ONLY}`]);
    const hostVolume = `${IN_HOST}/uns-host`;
    await mkdir(onMachine(host(), hostVolume), { recursive: true });
    const script = [
      'echo "uid $(id -u)"',
      'touch /data/by-app /hv/by-app /by-app',
      `if cat /.sprocket${ROOT_ONLY} >/dev/null 2>&1; then echo root-only-read; else echo root-only-refused; fi`,
      'if mknod /dev/kmsg2 c 1 11 2>/dev/null; then echo mknod-allowed; else echo mknod-refused; fi',
      await notifyReadyCommand(),
      'sleep 3',
    ].join('; ');
    const args = (privateUsers: string) => [
      'prepare', `--private-users=${privateUsers}`, '--volume', 'data,kind=empty', '--volume', `hv,kind=host,source=${hostVolume}`,
      NOTIFYING, '--name', 'inside', '--mount', 'volume=data,target=/data', '--mount', 'volume=hv,target=/hv',
      '--health-cmd', 'true', '--health-interval', '1s', '--exec', '/bin/sh', '--', '-c', script,
    ];
    const uuid = (await sprocketOk(host(), args('yes'))).trim();
    const r = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^uid 0$/m);
    assert.match(r.stdout, /^root-only-refused$/m);
    assert.match(r.stdout, /^mknod-refused$/m);

    const status = JSON.parse(await sprocketOk(host(), ['status', '--format', 'json', uuid])) as { privateUsers: string; uidRange: { base: number; size: number } };
    assert.equal(status.privateUsers, 'yes');
    const { base } = status.uidRange;
    assert.ok(base >= 0x70000000 && base % 65536 === 0 && status.uidRange.size === 65536, JSON.stringify(status));
    assert.match(await sprocketOk(host(), ['status', uuid]), new RegExp(`^private-users=yes\nuid-range=${base}:65536$`, 'm'));
    const owner = async (p: string) => (await stat(onMachine(host(), p))).uid;
    const podDir = `${IN_HOST}/pods/${uuid}`;
    assert.equal(await owner(`${podDir}/volumes/data/by-app`), base, 'a file the root app made in its volume is the range base\'s');
    assert.equal(await owner(`${podDir}/apps/inside/upper/by-app`), base, 'and in its root');
    // A host volume is idmapped: the host's owners, as the operator gave it (the pod's root writes as the host's root there).
    assert.equal(await owner(`${hostVolume}/by-app`), 0);

    await host().run(['journalctl', '--sync']);
    const logs = await sprocketOk(host(), ['logs', uuid]);
    assert.match(logs, /inside: uid 0\n/);
    assert.match(logs, /sprocket: pod \S+: app inside is healthy/);

    // The same pod without a user namespace: its root is the host's, and reads the file (the test can fail).
    const hostRoot = (await sprocketOk(host(), args('no'))).trim();
    const asRoot = await sprocket(host(), ['run-prepared', hostRoot]);
    assert.equal(asRoot.code, 0, asRoot.stderr);
    assert.match(asRoot.stdout, /^root-only-read$/m);
    assert.match(await sprocketOk(host(), ['status', hostRoot]), /^private-users=no$/m);
    assert.equal(await owner(`${IN_HOST}/pods/${hostRoot}/volumes/data/by-app`), 0);
  });

  it('--private-users=yes refuses, before anything is made, a host volume on a file system that cannot be idmapped, naming it', async () => {
    const pods = async () => readdir(onMachine(host(), `${IN_HOST}/pods`)).catch(() => []);
    const before = await pods();
    // The test host's root is an overlay of the machine's: overlay mounts cannot be idmapped.
    const r = await sprocket(host(), ['prepare', '--private-users=yes', '--volume', 'etc,kind=host,source=/etc,readOnly=true', IMAGE, '--mount', 'volume=etc,target=/hostetc']);
    assert.equal(r.code, 254, r.stderr);
    assert.match(r.stderr, /host volume etc: \/etc is on a file system \(overlayfs\) whose mounts cannot be idmapped/);
    assert.match(r.stderr, /--private-users=no/);
    assert.deepEqual(await pods(), before);
  });
});
