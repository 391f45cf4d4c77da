// `sprocket run` in a test host: what the apps of a pod see and how the pod
// ends (issue 3, "Done when").
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT, useHost } from '../support/host.js';
import { busyboxImage, CLI, IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/busy';

describe('pods: run', () => {
  const host = useHost('e2e-pods-run');
  const pods = () => onMachine(host(), `${IN_HOST}/pods`);
  const volume = async (uuid: string, name: string, file: string) => readFile(path.join(pods(), uuid, 'volumes', name, file), 'utf8');
  /** UUID of the pod a `run --uuid-file-save` wrote. */
  const savedUuid = async (file: string) => (await readFile(onMachine(host(), file), 'utf8')).trim();
  const sh = (script: string) => ['--exec', '/bin/sh', '--', '-c', script];

  before(async () => {
    await busyboxImage(host(), IMAGE);
  });

  it('runs two apps that see each other\'s processes and share an empty volume', async () => {
    const uuidFile = `${IN_HOST}/two-apps.uuid`;
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile, '--volume', 'shared,kind=empty,mode=0777',
      IMAGE, '--name', 'a', '--mount', 'volume=shared,target=/shared', ...sh('sleep 1.5; cat /shared/b >/shared/a-saw'), '---',
      IMAGE, '--name', 'b', '--mount', 'volume=shared,target=/shared', ...sh('echo from-b >/shared/b; sleep 0.5; ps >/shared/ps'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = await savedUuid(uuidFile);
    assert.equal(await volume(uuid, 'shared', 'a-saw'), 'from-b\n');
    assert.match(await volume(uuid, 'shared', 'ps'), /sleep 1\.5/, 'b sees the process of a');
    const status = await podStatusJson(host(), uuid);
    assert.equal(status.state, 'exited');
    assert.deepEqual(status.apps.map((a) => [a.name, a.state, a.exitStatus]), [['a', 'exited', 0], ['b', 'exited', 0]]);
  });

  it('exits with the status of the app that failed; the other apps are recorded as stopped', async () => {
    const uuidFile = `${IN_HOST}/exit5.uuid`;
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile,
      IMAGE, '--name', 'x', ...sh('sleep 30'), '---',
      IMAGE, '--name', 'y', ...sh('sleep 0.5; exit 5'), '---',
      IMAGE, '--name', 'z', ...sh('sleep 30'),
    ]);
    assert.equal(r.code, 5, r.stderr);
    const status = await podStatusJson(host(), await savedUuid(uuidFile));
    assert.equal(status.exitStatus, 5);
    assert.deepEqual(status.apps.map((a) => [a.name, a.state]), [['x', 'stopped'], ['y', 'exited'], ['z', 'stopped']]);
    assert.equal(status.apps[1]!.exitStatus, 5);
  });

  it('shows stdout on stdout and stderr on stderr; runs as the user and group named in the image', async () => {
    const r = await sprocket(host(), ['run', IMAGE, ...sh('id -u; id -g; echo to-stderr >&2')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '33\n34\n');
    assert.match(r.stderr, /^to-stderr$/m);
  });

  it('prints the output of an app that exits at once, every time, and logs shows it after the pod is gone', async () => {
    for (let round = 0; round < 3; round++) {
      const uuidFile = `${IN_HOST}/echo-${round}.uuid`;
      const r = await sprocket(host(), ['run', '--uuid-file-save', uuidFile, IMAGE, '--name', 'echo', '--exec', '/bin/echo', '--', `hello-${round}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `hello-${round}\n`);
      assert.match(await sprocketOk(host(), ['logs', await savedUuid(uuidFile)]), new RegExp(`echo: hello-${round}\n`));
    }
  });

  it('logs each app with stderr at priority err, for a running and an exited pod', async () => {
    const uuid = (await sprocketOk(host(), ['run', '-d', IMAGE, '--name', 'talker', ...sh('echo out-line; echo err-line >&2; sleep 30')])).trim();
    const logs = async () => sprocketOk(host(), ['logs', '--app', 'talker', uuid]);
    const both = (text: string) => /talker: out-line/.test(text) && /talker: err-line/.test(text);
    for (let i = 0; i < 50 && !both(await logs()); i++) await new Promise((r) => setTimeout(r, 100));
    // stdout and stderr are two streams: their lines keep no order between them.
    assert.ok(both(await logs()), 'both lines in `sprocket logs`');
    const entries = (await host().run(['journalctl', '-o', 'json', `SPROCKET_POD=${uuid}`, 'SYSLOG_IDENTIFIER=talker']))
      .trim().split('\n').map((l) => JSON.parse(l) as { MESSAGE: string; PRIORITY: string });
    assert.deepEqual(entries.map((e) => [e.MESSAGE, e.PRIORITY]).sort(), [['err-line', '3'], ['out-line', '6']]);
    await sprocketOk(host(), ['stop', uuid]);
    assert.equal((await podStatusJson(host(), uuid)).state, 'exited');
    const after = await sprocketOk(host(), ['logs', uuid]);
    assert.match(after, /talker: err-line/);
    assert.match(after, /sprocket: .*stopped/);
  });

  it('logs -f ends once the pod exits, its last line printed; a closed pipe ends logs quietly', { timeout: 60_000 }, async () => {
    const uuid = (await sprocketOk(host(), ['run', '-d', IMAGE, '--name', 'brief', ...sh('echo first; sleep 2; echo last')])).trim();
    const followed = await sprocket(host(), ['logs', '-f', '--app', 'brief', uuid]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /brief: first\n.*brief: last\n$/s);
    // The reader is gone before logs writes: EPIPE, no stack trace, 141 (docs/exit-codes.md).
    const piped = await host().exec(['sh', '-c', `{ node ${CLI} logs ${uuid}; echo "code $?" >&2; } | true`]);
    assert.equal(piped.stderr, 'code 141\n');
  });

  it('a read-only root filesystem refuses writes while volumes stay writable', async () => {
    const uuidFile = `${IN_HOST}/ro.uuid`;
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile, '--volume', 'shared,kind=empty',
      IMAGE, '--readonly-rootfs', '--user', '0', '--group', '0', '--mount', 'volume=shared,target=/shared',
      ...sh('touch /shared/ok && ! touch /rootfile 2>/shared/error'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await volume(await savedUuid(uuidFile), 'shared', 'error'), /Read-only file system/);
  });

  it('runs pre-start before and post-stop after the app (pod manifest with image by name)', async () => {
    const manifest = `${IN_HOST}/handlers.json`;
    const append = (word: string) => ['/bin/sh', '-c', `echo ${word} >>/shared/order`];
    await writeFile(onMachine(host(), manifest), JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{
        name: 'handled', image: { name: IMAGE },
        app: { exec: append('app'), user: '0', group: '0', eventHandlers: [{ name: 'pre-start', exec: append('pre') }, { name: 'post-stop', exec: append('post') }] },
        mounts: [{ volume: 'shared', path: '/shared' }],
      }],
      volumes: [{ name: 'shared', kind: 'empty' }],
    }));
    const uuidFile = `${IN_HOST}/handlers.uuid`;
    const r = await sprocket(host(), ['run', '--uuid-file-save', uuidFile, '--pod-manifest', manifest]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = await savedUuid(uuidFile);
    assert.equal(await volume(uuid, 'shared', 'order'), 'pre\napp\npost\n');
    const reified = JSON.parse(await sprocketOk(host(), ['cat-manifest', uuid])) as { apps: { image: { id: string } }[] };
    assert.match(reified.apps[0]!.image.id, /^sha512-[0-9a-f]{128}$/);
  });

  it('binds a host volume read-only', async () => {
    await mkdir(onMachine(host(), `${IN_HOST}/hostvol`));
    await writeFile(onMachine(host(), `${IN_HOST}/hostvol/data`), 'host data\n');
    const r = await sprocket(host(), [
      'run', '--volume', `hv,kind=host,source=${IN_HOST}/hostvol,readOnly=true`,
      IMAGE, '--user', '0', '--group', '0', '--mount', 'volume=hv,target=/hv', ...sh('cat /hv/data; touch /hv/new 2>/dev/null || echo refused'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'host data\nrefused\n');
    await assert.rejects(access(onMachine(host(), `${IN_HOST}/hostvol/new`)));
  });

  it('gives an app its own volumes (appVolume): an empty one with its mode and owner, a host one read-only; the pod volume of the same name is apart', async () => {
    await mkdir(onMachine(host(), `${IN_HOST}/appvol`));
    await writeFile(onMachine(host(), `${IN_HOST}/appvol/data`), 'app host data\n');
    const manifest = `${IN_HOST}/app-volumes.json`;
    const app = (script: string) => ({ exec: ['/bin/sh', '-c', script], user: 'www', group: 'webgrp' });
    await writeFile(onMachine(host(), manifest), JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{
        name: 'own', image: { name: IMAGE },
        app: app('echo mine >/scratch/mine && cat /conf/data; touch /conf/new 2>/dev/null || echo refused'),
        mounts: [
          { volume: 'scratch', path: '/scratch', appVolume: { name: 'scratch', kind: 'empty', mode: '0700', uid: 33, gid: 34 } },
          { volume: 'conf', path: '/conf', appVolume: { name: 'conf', kind: 'host', source: `${IN_HOST}/appvol`, readOnly: true } },
        ],
      }, {
        name: 'other', image: { name: IMAGE },
        app: app('echo theirs >/scratch/theirs; ls /scratch'),
        mounts: [{ volume: 'scratch', path: '/scratch' }],
      }],
      volumes: [{ name: 'scratch', kind: 'empty', mode: '0777' }],
    }));
    const uuidFile = `${IN_HOST}/app-volumes.uuid`;
    const r = await sprocket(host(), ['run', '--uuid-file-save', uuidFile, '--pod-manifest', manifest]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    // Lines of one app keep their order; the two apps' lines interleave.
    assert.deepEqual(lines.filter((l) => l.startsWith('own: ')), ['own: app host data', 'own: refused']);
    assert.deepEqual(lines.filter((l) => l.startsWith('other: ')), ['other: theirs'], 'the pod volume is not the app\'s own');
    const uuid = await savedUuid(uuidFile);
    const own = path.join(pods(), uuid, 'app-volumes/own/scratch');
    assert.equal(await readFile(path.join(own, 'mine'), 'utf8'), 'mine\n');
    const st = await stat(own);
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o700, 33, 34]);
    assert.equal(await volume(uuid, 'scratch', 'theirs'), 'theirs\n');
    await assert.rejects(access(onMachine(host(), `${IN_HOST}/appvol/new`)));
  });

  it('--net none gives the pod a network of its own with loopback only', async () => {
    const r = await sprocket(host(), ['run', '--net', 'none', IMAGE, ...sh('ls /sys/class/net')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lo\n');
  });

  it('--interactive gives the app the terminal as its stdin and stdout', async () => {
    // script(1) makes the terminal; the input is typed once the shell's prompt is there (before, the shell would not read it).
    const session = path.join(CHECKOUT, 'dist/test/host/terminal-session.js');
    const r = await host().exec(['node', session, '\\$ ', JSON.stringify(['echo $((40+2))', 'exit 3']), 'node', CLI, 'run', '--interactive', IMAGE, '--exec', '/bin/sh']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^42\r?$/m);
  });

  it('--secret: each app reads its own at $CREDENTIALS_DIRECTORY/NAME (a non-root app with a read-only root, a root one); a sibling without it cannot read it; the value is nowhere in the pod directory, status, cat-manifest, plan.json or the journal', async () => {
    // Outside pods/; written from the machine, so that no command line of the host carries a value.
    await mkdir(onMachine(host(), `${IN_HOST}/secrets`), { recursive: true, mode: 0o700 });
    const values = [`tok-${randomBytes(12).toString('hex')}`, `other-${randomBytes(12).toString('hex')}`];
    for (const [i, v] of values.entries()) await writeFile(onMachine(host(), `${IN_HOST}/secrets/${i}`), v, { mode: 0o600 });
    const sha = (v: string) => createHash('sha256').update(v).digest('hex');
    // Each holder prints where its secret is, its mode and owner and the digest of its value (the value itself is never printed), then stays a while for the sibling.
    const holder = 'echo "dir=$CREDENTIALS_DIRECTORY $(busybox stat -c "%a %u" $CREDENTIALS_DIRECTORY/token) $(busybox sha256sum <$CREDENTIALS_DIRECTORY/token)"; sleep 3';
    // The sibling tries every path to another app's credentials: its own directory, the pod's, through /proc of the holders and of the pod's systemd.
    const siblingScript = 'sleep 1; echo "dir=${CREDENTIALS_DIRECTORY:-none}"; for f in /run/credentials/*/* /proc/[0-9]*/root/run/credentials/*/* /proc/1/root/run/credentials/*/* /proc/1/root/run/host/credentials/*; do '
      + 'if [ -e "$f" ] && cat "$f" >/dev/null 2>&1; then echo "read $f"; fi; done; echo done';
    const uuidFile = `${IN_HOST}/secrets.uuid`;
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile,
      IMAGE, '--name', 'holder', '--readonly-rootfs', '--secret', `token=${IN_HOST}/secrets/0`, ...sh(holder), '---',
      IMAGE, '--name', 'rooted', '--user', '0', '--group', '0', `--secret=token=${IN_HOST}/secrets/1`, ...sh(holder), '---',
      IMAGE, '--name', 'sibling', '--user', '0', '--group', '0', ...sh(siblingScript),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith('holder: ')), [`holder: dir=/run/credentials/holder.service 400 33 ${sha(values[0]!)}  -`]);
    assert.deepEqual(lines.filter((l) => l.startsWith('rooted: ')), [`rooted: dir=/run/credentials/rooted.service 400 0 ${sha(values[1]!)}  -`]);
    // Not through /proc/PID/root of rooted either, though both run as root with appc's default capabilities: apps are kept apart (docs/isolators.md).
    assert.deepEqual(lines.filter((l) => l.startsWith('sibling: ')), ['sibling: dir=none', 'sibling: done']);
    const uuid = await savedUuid(uuidFile);
    const status = await sprocketOk(host(), ['status', uuid]);
    assert.match(status, /^app-holder-secrets=token$/m);
    const manifest = await sprocketOk(host(), ['cat-manifest', uuid]);
    assert.match(manifest, /"sprocket.dev\/secrets"/);
    // The patterns from the secret files: a value on a command line of the host would reach its journal (systemd-run's unit description).
    const patterns = values.flatMap((_, i) => ['-f', `${IN_HOST}/secrets/${i}`]);
    const places = {
      'the pod directory': (await host().exec(['grep', '-rlF', ...patterns, path.join(IN_HOST, 'pods', uuid)])).stdout,
      'the journal': (await host().exec(['sh', '-c', 'journalctl -o export --no-pager | grep -aF "$@" | head -c 300', 'sh', ...patterns])).stdout,
      status, manifest,
      'status --format json': await sprocketOk(host(), ['status', '--format', 'json', uuid]),
      'plan.json': await readFile(path.join(pods(), uuid, 'plan.json'), 'utf8'),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const v of values) assert.ok(!text.includes(v), `a secret's value is in ${place}`);
    }
    assert.equal(places['the pod directory'], '');
    assert.equal(places['the journal'], '');
    // A file that cannot be read: refused before anything is made.
    const before = await readdir(pods());
    const missing = await sprocket(host(), ['run', IMAGE, '--secret', `token=${IN_HOST}/secrets/missing`]);
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /^sprocket: \/var\/lib\/sprocket\/secrets\/missing: --secret: cannot read secret token of app busy: no such file$/m);
    assert.deepEqual(await readdir(pods()), before);
    // Gone between prepare and start: refused before the start is recorded, the pod stays prepared.
    await writeFile(onMachine(host(), `${IN_HOST}/secrets/2`), 'gone soon', { mode: 0o600 });
    const prepared = (await sprocketOk(host(), ['prepare', IMAGE, '--secret', `token=${IN_HOST}/secrets/2`])).trim();
    await rm(onMachine(host(), `${IN_HOST}/secrets/2`));
    const gone = await sprocket(host(), ['run-prepared', prepared]);
    assert.equal(gone.code, 254);
    assert.match(gone.stderr, /^sprocket: \/var\/lib\/sprocket\/secrets\/2: --secret: cannot read secret token of app busy: no such file$/m);
    assert.equal((await podStatusJson(host(), prepared)).state, 'prepared');
  });

  it('refuses a mount without a volume before anything is made, naming the field', async () => {
    const before = await readdir(pods());
    const r = await sprocket(host(), ['run', IMAGE, '--mount', 'volume=nope,target=/x']);
    assert.equal(r.code, 254);
    assert.match(r.stderr, /^sprocket: command line: apps\[0\]\.mounts\[0\]\.volume: app \S+: no volume named nope/);
    assert.deepEqual(await readdir(pods()), before);
  });
});
