// Pod networking through CNI in a test host (issue 9, "Done when"): pods on
// the default network, published ports (TCP and UDP, on the host's address
// and on 127.0.0.1), NAT to an "outside" namespace made here, a taken port,
// --net=host, a named network with a static IP, DNS and /etc/hosts, and
// nothing left behind after the CLI is killed mid-start and gc ran.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { useHost } from '../support/host.js';
import { busyboxImage, CLI, IN_HOST, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/net';
/** The host's address on the link to the "outside" namespace. */
const HOST_IP = '192.168.77.1';
const OUTSIDE_IP = '192.168.77.2';
/** A server of the outside that answers with the address it sees. */
const WHO_IS_ASKING = "require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(80, '0.0.0.0')";
/** A UDP echo server, run in a pod with the host's /usr (node). */
const UDP_ECHO = "const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('echo:' + m, r.port, r.address)); s.bind(7)";

describe('networking', () => {
  const host = useHost('e2e-net');
  const sh = (script: string) => ['--exec', '/bin/sh', '--', '-c', script];
  /** An httpd on port 80 of the pod serving `name`. */
  const web = (name: string) => sh(`mkdir -p /www; echo ${name} >/www/index.html; exec busybox httpd -f -p 80 -h /www`);
  const inHost = (script: string) => host().run(['sh', '-c', script]);
  /** GNU wget on the host; in pods the body's last line by hand (the wget of Debian's static busybox crashes). */
  const wget = (url: string) => `wget -q -T 5 -O- ${url}`;
  const podGet = (ip: string, port = 80) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 ${ip} ${port} | busybox tail -n 1`;
  const status = async (uuid: string) => JSON.parse(await sprocketOk(host(), ['status', '--format', 'json', uuid])) as { networks?: { network: string; interface: string; ip?: string }[] };
  /** Runs a script inside a running pod's app. */
  const enter = (uuid: string, script: string) => sprocketOk(host(), ['enter', uuid, '--', '/bin/sh', '-c', script]);
  /** What a pod's network leaves on the host: namespaces, veths, per-pod firewall rules, IPAM leases. */
  const leftovers = async () => {
    const out = await inHost(`
      echo netns $(ls /run/netns 2>/dev/null | grep -c sprocket-)
      echo veth $(ip -o link show type veth | grep -c master)
      echo rules $(iptables-save | grep -c 'id: "')
      echo leases $(ls /var/lib/cni/networks/default 2>/dev/null | grep -c '^10\\.')`);
    return out.trim();
  };
  const clean = 'netns 0\nveth 0\nrules 0\nleases 0';

  before(async () => {
    await busyboxImage(host(), IMAGE, {
      app: {
        exec: ['/bin/true'], user: '0', group: '0',
        ports: [{ name: 'http', protocol: 'tcp', port: 80 }, { name: 'echo', protocol: 'udp', port: 7 }],
      },
    });
    await inHost(`
      ip netns add outside
      ip link add out0 type veth peer name out1 netns outside
      ip addr add ${HOST_IP}/24 dev out0 && ip link set out0 up
      ip -n outside addr add ${OUTSIDE_IP}/24 dev out1 && ip -n outside link set out1 up && ip -n outside link set lo up
      systemd-run -q --unit=outside-web ip netns exec outside node -e "${WHO_IS_ASKING}"`);
  });

  it('pods of the default network: both on port 80, reach each other by IP, the outside through NAT; published ports from the host, the outside and a pod', async () => {
    const a = (await sprocketOk(host(), ['run', '-d', '--port=http:8080', IMAGE, ...web('pod-a')])).trim();
    const b = (await sprocketOk(host(), ['run', '-d', '--port=http:127.0.0.1:8081', IMAGE, ...web('pod-b')])).trim();
    const ipA = (await status(a)).networks?.[0]?.ip;
    assert.match(ipA ?? '', /^10\.225\.\d+\.\d+$/, JSON.stringify(await status(a)));
    assert.deepEqual((await status(a)).networks, [{ network: 'default', interface: 'eth0', ip: ipA }]);
    assert.match(await sprocketOk(host(), ['status', a]), new RegExp(`^networks=default:eth0:${ipA!.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(await sprocketOk(host(), ['list']), new RegExp(`NETWORKS[\\s\\S]*${a.slice(0, 8)} .* default:ip4=${ipA!.replaceAll('.', '\\.')} `));
    assert.match(await inHost(`machinectl status sprocket-${a}`), new RegExp(`Address: ${ipA!.replaceAll('.', '\\.')}`));

    // From the host: the published ports on its address and on 127.0.0.1; the outside sees the host's address.
    assert.equal(await inHost(wget('http://127.0.0.1:8080/')), 'pod-a\n');
    assert.equal(await inHost(wget(`http://${HOST_IP}:8080/`)), 'pod-a\n');
    assert.equal(await inHost(wget('http://127.0.0.1:8081/')), 'pod-b\n');
    assert.equal(await inHost(`ip netns exec outside ${wget(`http://${HOST_IP}:8080/`)}`), 'pod-a\n');
    // From pod b: pod a by its IP, pod a's published port on the host's address, the outside (masqueraded).
    assert.equal(await enter(b, podGet(ipA!)), 'pod-a\n');
    assert.equal(await enter(b, podGet(HOST_IP, 8080)), 'pod-a\n');
    assert.equal(await enter(b, podGet(OUTSIDE_IP)), `${HOST_IP}\n`);

    // A port published to 127.0.0.1 only is not on the host's address.
    const other = await host().exec(['sh', '-c', wget(`http://${HOST_IP}:8081/`)]);
    assert.notEqual(other.code, 0);

    // A taken host port (another pod's, a host process's) is refused before anything starts; nothing is left.
    const pods = await sprocketOk(host(), ['list', '--no-legend']);
    const taken = await sprocket(host(), ['run', '-d', '--port=http:8080', IMAGE, ...web('pod-c')]);
    assert.equal(taken.code, 254);
    assert.match(taken.stderr, /--port: host port 0\.0\.0\.0:8080\/tcp \(port http\) is already published by pod /);
    await inHost('systemd-run -q --unit=squatter busybox nc -l -p 8090');
    const busy = await sprocket(host(), ['run', '-d', '--port=http:8090', IMAGE, ...web('pod-c')]);
    assert.equal(busy.code, 254);
    assert.match(busy.stderr, /host port 0\.0\.0\.0:8090\/tcp \(port http\) is in use on the host/);
    assert.equal(await sprocketOk(host(), ['list', '--no-legend']), pods);
    assert.equal((await inHost('ls /run/netns | grep -c sprocket- || true')).trim(), '2');

    // UDP: an echo server (node, with the host's /usr) published on 5007.
    const udp = (await sprocketOk(host(), [
      'run', '-d', '--port=echo:5007',
      ...['usr', 'lib', 'lib64'].map((v) => `--volume=${v},kind=host,source=/usr${v === 'usr' ? '' : `/${v}`},readOnly=true`),
      IMAGE, ...['usr', 'lib', 'lib64'].map((v) => `--mount=volume=${v},target=/${v}`), '--exec=/usr/bin/node', '--', '-e', UDP_ECHO,
    ])).trim();
    const ask = `const s = require('dgram').createSocket('udp4'); setInterval(() => s.send('hi', 5007, process.argv[1]), 200);
      s.on('message', (m) => { console.log(String(m)); process.exit(0); }); setTimeout(() => process.exit(1), 10000);`;
    assert.equal(await host().run(['node', '-e', ask, HOST_IP]), 'echo:hi\n');
    assert.equal(await host().run(['node', '-e', ask, '127.0.0.1']), 'echo:hi\n');

    await sprocketOk(host(), ['stop', a, b, udp]);
    await sprocketOk(host(), ['gc', '--grace-period=0s']);
    assert.equal(await leftovers(), clean);
  });

  it('--net=host as before, --net=none loopback only, a named network of net.d with a static IP beside default', async () => {
    const hostNet = await sprocketOk(host(), ['run', '--net=host', IMAGE, ...sh('ls /sys/class/net')]);
    assert.match(hostNet, /^out0$/m);
    assert.equal(await sprocketOk(host(), ['run', '--net=none', IMAGE, ...sh('ls /sys/class/net')]), 'lo\n');
    await inHost(`mkdir -p /etc/sprocket/net.d && cat >/etc/sprocket/net.d/10-backend.conf <<'EOF'
{"cniVersion": "1.0.0", "name": "backend", "type": "bridge", "bridge": "sprtest0", "isGateway": true,
 "ipam": {"type": "host-local", "subnet": "10.99.0.0/24"}}
EOF`);
    const out = await sprocketOk(host(), ['run', '--net=default,backend:IP=10.99.0.50', IMAGE, ...sh('ip -o -4 addr show | busybox awk \'{print $2, $4}\'')]);
    assert.match(out, /^eth0 10\.225\.\d+\.\d+\/16$/m);
    assert.match(out, /^eth1 10\.99\.0\.50\/24$/m);
    const unknown = await sprocket(host(), ['run', '--net=nosuch', IMAGE]);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /--net: no network named nosuch/);
    assert.equal(await leftovers(), clean);
  });

  it('DNS and /etc/hosts as the flags say, the same for every app; the image\'s own files untouched', async () => {
    const show = sh('cat /etc/resolv.conf /etc/hosts; busybox hostname');
    const out = await sprocketOk(host(), [
      'run', '--dns=10.0.0.1', '--dns=10.0.0.2', '--dns-search=example.com', '--dns-opt=ndots:2', '--hostname=web', '--hosts-entry=10.0.0.9=db',
      IMAGE, '--name=one', ...show, '---', IMAGE, '--name=two', ...show,
    ]);
    const expected = /^nameserver 10\.0\.0\.1\nnameserver 10\.0\.0\.2\nsearch example\.com\noptions ndots:2\n127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10\.225\.\d+\.\d+\tweb\n10\.0\.0\.9\tdb\nweb\n$/;
    const [one, two] = ['one', 'two'].map((app) => out.split('\n').filter((l) => l.startsWith(`${app}: `)).map((l) => l.slice(app.length + 2)).join('\n') + '\n');
    assert.match(one!, expected, out);
    assert.equal(two, one);

    // --dns=host: systemd-resolved's upstream servers instead of its stub; --hosts-entry=host: the host's file.
    await inHost(`cp /etc/resolv.conf /etc/resolv.conf.orig; echo 'nameserver 127.0.0.53' >/etc/resolv.conf
      mkdir -p /run/systemd/resolve && echo 'nameserver 10.9.9.9' >/run/systemd/resolve/resolv.conf; echo '10.8.8.8 from-host' >>/etc/hosts`);
    const fromHost = await sprocketOk(host(), ['run', '--dns=host', '--hosts-entry=host', IMAGE, ...sh('cat /etc/resolv.conf /etc/hosts')]);
    await inHost('mv /etc/resolv.conf.orig /etc/resolv.conf; rm /run/systemd/resolve/resolv.conf');
    assert.match(fromHost, /^nameserver 10\.9\.9\.9$/m);
    assert.doesNotMatch(fromHost, /127\.0\.0\.53/);
    assert.match(fromHost, /^10\.8\.8\.8 from-host$/m);
    // --dns=none: the image's own resolv.conf (here: none).
    const none = await sprocket(host(), ['run', '--dns=none', IMAGE, ...sh('cat /etc/resolv.conf')]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /No such file/);
    // The image's tree is as built: no hosts or resolv.conf of sprocket's making.
    assert.equal(await inHost(`ls ${IN_HOST}/images/*/rootfs/etc`), 'group\npasswd\n');
  });

  it('kill -9 of the CLI at any step of the start, then gc: no namespace, veth, firewall rule or IPAM lease is left', async () => {
    for (const [i, ms] of [300, 700, 1100, 1500, 2000, 2600].entries()) {
      await inHost(`systemd-run -q --unit=killed-${i} node ${CLI} run -d ${IMAGE} ${sh('sleep 100').map((w) => `'${w}'`).join(' ')}`);
      await sleep(ms);
      await inHost(`systemctl kill -s KILL killed-${i}.service; systemctl reset-failed killed-${i}.service 2>/dev/null; true`);
    }
    const running = JSON.parse(await sprocketOk(host(), ['list', '--format', 'json'])) as { uuid: string; state: string }[];
    const up = running.filter((p) => p.state === 'running').map((p) => p.uuid);
    if (up.length) await sprocketOk(host(), ['stop', ...up]);
    // A CLI killed before the start leaves a prepared pod (no network yet): expired at once here too.
    await sprocketOk(host(), ['gc', '--grace-period=0s', '--expire-prepared=0s']);
    assert.equal(await leftovers(), clean);
    assert.equal(await sprocketOk(host(), ['list', '--no-legend']), '');
  });
});
