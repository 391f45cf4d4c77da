// The network part of the plan: flags and manifest ports applied to a plan,
// what nspawn and the app units get of it, the pod's hosts and resolv.conf,
// the plugin configurations given to CNI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SprocketError } from '../../../src/errors.js';
import { cniArgs, pluginInputs } from '../../../src/net/cni.js';
import { BUILT_IN } from '../../../src/net/config.js';
import { DEFAULT_NETWORK, withNetRequest } from '../../../src/net/plan.js';
import { hostsFile, resolvConf } from '../../../src/net/pod-files.js';
import { addNetFlag, type NetRequest } from '../../../src/net/request.js';
import type { NetFlag } from '../../../src/net/flags.js';
import { socketUnits } from '../../../stage1-nspawn/app-socket.js';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { hostUnitProperties } from '../../../stage1-nspawn/host-unit.js';
import { nspawnArgv } from '../../../stage1-nspawn/nspawn-args.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';
import { basePlan } from '../stage1/fixture.js';

const plan = (): PodPlan => {
  const p: any = { ...basePlan(), ...DEFAULT_NETWORK };
  p.apps[0].ports = [{ name: 'http', protocol: 'tcp', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53, count: 2 }];
  return parsePodPlan(p);
};
const flags = (...pairs: [NetFlag, string][]) => {
  const req: NetRequest = {};
  for (const [f, v] of pairs) addNetFlag(req, f, v);
  return req;
};
const apply = (req: NetRequest, exposed = [] as { name: string; hostPort: number }[]) => withNetRequest(plan(), req, { source: 'command line', exposed });
const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof SprocketError && re.test(e.describe()), String(re));

test('default: the contained network default, eth0; nspawn joins its namespace with the pod name as host name', () => {
  const p = apply({});
  assert.equal(p.network, 'contained');
  assert.deepEqual(p.networks, [{ name: 'default', args: [] }]);
  const argv = nspawnArgv(p);
  assert.ok(argv.includes(`--network-namespace-path=/run/netns/sprocket-${p.uuid}`));
  assert.ok(argv.includes(`--hostname=sprocket-${p.uuid}`));
  assert.ok(!argv.includes('--private-network'));
});

test('--net: host, none, named networks with CNI_ARGS', () => {
  assert.ok(!nspawnArgv(apply(flags(['--net', 'host']))).some((a) => a.startsWith('--network-namespace-path') || a === '--private-network'));
  assert.ok(nspawnArgv(apply(flags(['--net', 'none']))).includes('--private-network'));
  const p = apply(flags(['--net', 'frontend:IP=10.1.2.3;X=y,backend']));
  assert.deepEqual(p.networks, [{ name: 'frontend', args: [['IP', '10.1.2.3'], ['X', 'y']] }, { name: 'backend', args: [] }]);
  assert.equal(cniArgs(p.networks[0]!.args), 'IgnoreUnknown=1;IP=10.1.2.3;X=y');
  refused(() => flags(['--net', 'a,a']), /network a given twice/);
});

test('--port: matched with the app port of its name, ranges expanded, protocols lower-cased; the manifest ports below the flags', () => {
  const p = apply(flags(['--port', 'http:127.0.0.1:8080'], ['--port', 'dns:5353']));
  assert.deepEqual(p.ports, [
    { name: 'http', protocol: 'tcp', podPort: 80, hostPort: 8080, hostIP: '127.0.0.1' },
    { name: 'dns', protocol: 'udp', podPort: 53, hostPort: 5353 },
    { name: 'dns', protocol: 'udp', podPort: 54, hostPort: 5354 },
  ]);
  assert.deepEqual(apply(flags(['--port', 'http:81']), [{ name: 'http', hostPort: 9000 }]).ports.map((q) => q.hostPort), [81]);
  assert.deepEqual(apply({}, [{ name: 'http', hostPort: 9000 }]).ports.map((q) => q.hostPort), [9000]);
  refused(() => apply(flags(['--port', 'https:443'])), /--port: no app declares a port named https\n {2}hint: the apps' ports: http, dns/);
  refused(() => apply(flags(['--port', 'http:8080'], ['--net', 'host'])), /--port: --port publishes ports of a pod's own network, not of --net=host/);
  refused(() => apply(flags(['--port', 'http:8080'], ['--port', 'http:8080'])), /host port 8080\/tcp is published twice/);
});

test('run-prepared: flags replace what prepare chose, the rest is kept', () => {
  const prepared = apply(flags(['--port', 'http:8080'], ['--dns', '10.0.0.1'], ['--hostname', 'web']));
  const p = withNetRequest(prepared, flags(['--dns', 'none']), { source: 'command line' });
  assert.deepEqual(p.ports, prepared.ports);
  assert.equal(p.hostname, 'web');
  assert.equal(p.dns.mode, 'none');
  refused(() => withNetRequest(prepared, flags(['--net', 'none']), { source: 'command line' }), /the pod publishes ports, which needs a network of its own, not --net=none/);
});

test('every app binds the pod hosts file, and resolv.conf unless --dns=none', () => {
  const p = apply({});
  assert.match(renderAppUnit(p, p.apps[0]!), /^BindReadOnlyPaths=.* "\/sprocket\/etc\/hosts":"\/etc\/hosts" "\/sprocket\/etc\/resolv\.conf":"\/etc\/resolv\.conf"$/m);
  const none = apply(flags(['--dns', 'none']));
  assert.doesNotMatch(renderAppUnit(none, none.apps[0]!), /resolv\.conf/);
});

test('hosts and resolv.conf from the flags', async () => {
  const p = apply(flags(['--hostname', 'web'], ['--hosts-entry', '10.0.0.9=db'], ['--dns', '10.0.0.1'], ['--dns', '10.0.0.2'], ['--dns-search', 'example.com'], ['--dns-opt', 'ndots:2']));
  assert.equal(await hostsFile(p, '10.225.0.7'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.225.0.7\tweb\n10.0.0.9\tdb\n');
  assert.equal(await resolvConf(p), 'nameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch example.com\noptions ndots:2\n');
  assert.equal(await resolvConf(apply(flags(['--dns', 'none']))), undefined);
  assert.match(await hostsFile(apply({}), undefined), new RegExp(`^127\\.0\\.1\\.1\\tsprocket-${p.uuid}$`, 'm'));
});

test('CNI: runtimeConfig only for the capabilities a plugin declares; the host unit tears the network down after the exit record', () => {
  const inputs = pluginInputs(BUILT_IN[0]!, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  assert.equal(inputs[0]!.type, 'bridge');
  assert.equal(inputs[0]!.runtimeConfig, undefined);
  assert.deepEqual(inputs[1]!.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  assert.equal(inputs[1]!.name, 'default');
  const post = hostUnitProperties(apply({}), ['/usr/bin/sprocket', 'network-teardown', 'x']).ExecStopPost!;
  assert.equal(post.length, 2);
  assert.deepEqual(post[1], { path: '/usr/bin/sprocket', argv: ['/usr/bin/sprocket', 'network-teardown', 'x'], ignoreFailure: true });
});

test('an inline pod: --port of a socket-activated port is its service\'s socket (host addresses in the pod\'s socket unit), on any network; other ports go through a network of its own', () => {
  const inline = (ports: unknown[], net: string, ...pairs: [NetFlag, string][]) => {
    const p: any = { ...basePlan(), unit: 'lazy.service', invocation: 'a'.repeat(32) };
    p.apps[0].ports = ports;
    return withNetRequest(parsePodPlan(p), flags(['--net', net], ...pairs), { source: 'command line' });
  };
  const activated = [{ name: 'http', protocol: 'tcp', port: 80, socketActivated: true }, { name: 'admin', protocol: 'tcp', port: 9000 }];
  const socket = { name: 'http', protocol: 'tcp', podPort: 80, hostPort: 8080, hostIP: '127.0.0.1' };
  for (const net of ['host', 'none', 'default']) {
    const p = inline(activated, net, ['--port', 'http:127.0.0.1:8080']);
    assert.deepEqual([p.ports, p.hostSockets], [[], [socket]]);
    assert.match(socketUnits(p)[0]![1], /^ListenStream=127\.0\.0\.1:8080\nFileDescriptorName=http$/m);
  }
  assert.match(socketUnits(inline(activated, 'host'))[0]![1], /^ListenStream=80$/m, 'without --port: the app port, bound by the pod');
  const both = inline(activated, 'default', ['--port', 'http:127.0.0.1:8080'], ['--port', 'admin:9001']);
  assert.deepEqual([both.ports.map((q) => q.name), both.hostSockets], [['admin'], [socket]]);
  refused(() => inline(activated, 'host', ['--port', 'admin:9001']), /--port: --port publishes ports of a pod's own network, not of --net=host\n {2}hint: an inline pod on the host's network publishes socket-activated ports alone/);
  const transient: any = { ...basePlan(), hostSockets: [{ name: 'http', protocol: 'tcp', podPort: 80, hostPort: 8080 }] };
  refused(() => parsePodPlan(transient), /hostSockets: only an inline pod/);
});
