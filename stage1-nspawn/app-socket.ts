// Socket activation (appc socketActivated ports, docs/pods.md): an app with
// such ports has APP.socket in the pod, which default.target starts instead
// of APP.service. The pod's systemd listens on the app's ports and starts
// the app on the first connection, passing the listening sockets the
// standard way (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES = the port's name).
// A pod started by a socket of the host gets that socket from nspawn
// (LISTEN_FDS to the pod's systemd), which hands it to the socket unit whose
// address matches it: so the unit must already be loaded when the pod's
// systemd starts, before any job is queued (SOCKET_LOADER).
import type { PlanApp, PlanAppPort, PodPlan } from './plan.js';

/**
 * The socket unit of one socket-activated port of an app: a unit per port,
 * because a socket unit has one FileDescriptorName=. AC Names hold no "_",
 * so no two (app, port) pairs share a name.
 */
export const appSocketName = (app: string, port: string) => `${app}_${port}.socket`;
/** Matches the file names appSocketName makes. */
export const APP_SOCKET_FILE = /^[a-z0-9-]+_[a-z0-9-]+\.socket$/;

/** The app's socket-activated ports. */
export const activatedPorts = (app: PlanApp): PlanAppPort[] => app.ports.filter((p) => p.socketActivated);

/** Whether the pod's systemd starts the app on the first connection rather than at boot. */
export const isSocketActivated = (app: PlanApp) => activatedPorts(app).length > 0;

/** The socket units of an app. */
export const appSockets = (app: PlanApp) => activatedPorts(app).map((p) => appSocketName(app.name, p.name));

/** The socket units of the pod. */
export const podSockets = (plan: PodPlan) => plan.apps.flatMap(appSockets);

/** A socket unit's address of a port: [IP:]PORT (every address without IP). The host's socket unit and the pod's must say the same. */
export const socketAddress = (port: number, ip?: string) => `${ip ? `${ip}:` : ''}${port}`;

/**
 * Listen*= lines of one port: each of its `count` port numbers, or, for an
 * inline pod whose service publishes it, the host addresses of its service's
 * socket (plan.hostSockets), which nspawn passes in.
 */
function listenLines(plan: PodPlan, p: PlanAppPort): string[] {
  const key = p.protocol.toLowerCase() === 'udp' ? 'ListenDatagram' : 'ListenStream';
  const fromHost = plan.hostSockets.filter((h) => h.name === p.name);
  const addresses = fromHost.length
    ? fromHost.map((h) => socketAddress(h.hostPort, h.hostIP))
    : Array.from({ length: p.count }, (_, k) => socketAddress(p.port + k));
  return addresses.map((a) => `${key}=${a}`);
}

/**
 * APP_PORT.socket: the port's listening sockets (one per port number),
 * named after the port (LISTEN_FDNAMES); a connection starts APP.service,
 * which gets the sockets of all its ports. A socket that fails (it cannot
 * bind, or its app was started too often in a row) ends the pod: its app
 * could never run. The exit status is given because a socket unit has none
 * of its own to pass on.
 */
export function renderAppSocket(plan: PodPlan, app: PlanApp, port: PlanAppPort): string {
  return [
    '[Unit]',
    `Description=sprocket socket ${port.name} of app ${app.name} of pod ${plan.uuid}`,
    'DefaultDependencies=no',
    'Conflicts=shutdown.target',
    'Before=shutdown.target',
    'FailureAction=exit',
    'FailureActionExitStatus=1',
    '',
    '[Socket]',
    ...listenLines(plan, port),
    `FileDescriptorName=${port.name}`,
    `Service=${app.name}.service`,
    '',
  ].join('\n');
}

/** File name → text of every socket unit of the pod. */
export const socketUnits = (plan: PodPlan): [string, string][] =>
  plan.apps.flatMap((app) => activatedPorts(app).map((p) => [appSocketName(app.name, p.name), renderAppSocket(plan, app, p)] as [string, string]));

/**
 * A drop-in of -.slice, which the pod's systemd loads first of all (a
 * perpetual unit): referring to the socket units makes them loaded too
 * before it looks for owners of the sockets nspawn passed. Verified on
 * systemd 252: without it the sockets are closed unused and the units bind
 * anew (EADDRINUSE on a shared network).
 */
export const SOCKET_LOADER = '-.slice.d/sprocket-sockets.conf';
export const socketLoaderText = (plan: PodPlan) => ['[Unit]', `Before=${podSockets(plan).join(' ')}`, ''].join('\n');
