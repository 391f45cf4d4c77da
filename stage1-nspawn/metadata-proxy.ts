// The metadata service from a pod with a private network (loopback only):
// AC_METADATA_URL is http://127.0.0.1:2375/<token> in every pod, so such a
// pod gets its own listener there, a socket unit of the pod's systemd, whose
// systemd-socket-proxyd (from the host's /usr, bound into every pod)
// forwards each connection to the service's unix socket on the host. The
// host's /run/sprocket is bound as a directory, not the socket alone, so the
// pod still reaches a service that was restarted (new socket inode).
// Wiring: when needsMetadataProxy(plan), nspawn-args.ts adds
// metadataProxyNspawnArgs(), stage1-root.ts writes METADATA_PROXY_UNITS and
// lets default.target want METADATA_PROXY_SOCKET, and app-unit.ts starts the
// apps after it.
import path from 'node:path';
import { METADATA_HOST, METADATA_PORT, METADATA_SOCKET } from '../src/metadata/register.js';
import type { PodPlan } from './plan.js';

export const METADATA_PROXY_SOCKET = 'sprocket-metadata-proxy.socket';
export const METADATA_PROXY_SERVICE = 'sprocket-metadata-proxy.service';
const PROXYD = '/usr/lib/systemd/systemd-socket-proxyd';

/** Unit file name → contents, for the pod's etc/systemd/system. */
export const METADATA_PROXY_UNITS: Record<string, string> = {
  [METADATA_PROXY_SOCKET]: [
    '[Unit]',
    'Description=sprocket metadata service, as seen from the pod',
    'DefaultDependencies=no',
    '',
    '[Socket]',
    `ListenStream=${METADATA_HOST}:${METADATA_PORT}`,
    // Binds even if loopback were not up yet.
    'FreeBind=yes',
    '',
  ].join('\n'),
  [METADATA_PROXY_SERVICE]: [
    '[Unit]',
    'Description=sprocket metadata service proxy to the host',
    'DefaultDependencies=no',
    `Requires=${METADATA_PROXY_SOCKET}`,
    `After=${METADATA_PROXY_SOCKET}`,
    '',
    '[Service]',
    `ExecStart=${PROXYD} ${METADATA_SOCKET}`,
    '',
  ].join('\n'),
};

/** Whether the pod was registered with the metadata service: its apps have AC_METADATA_URL. */
export const usesMetadataService = (plan: PodPlan) => plan.apps.some((a) => a.environment.some((e) => e.name === 'AC_METADATA_URL'));

/** Whether the pod needs the proxy: it was registered and has no host network. */
export const needsMetadataProxy = (plan: PodPlan) => plan.network !== 'host' && usesMetadataService(plan);

/** What the nspawn argv needs for the proxy: the host's socket directory, read-only (connect works on a read-only mount). */
export const metadataProxyNspawnArgs = () => [`--bind-ro=${path.dirname(METADATA_SOCKET)}`];
