// The unit-file side of isolation: an app's resolved isolators as [Service]
// directives of its unit inside the pod, the pod's as properties of its host
// unit, and the oneshot unit that sets the pod's sysctls before any app.
import type { UnitProperties } from '../src/systemd/unit-properties.js';
import { DEFAULT_SECCOMP_DENY, DEFAULT_SECCOMP_ERRNO, type AppIsolation, type PodIsolation } from './isolators.js';
import { podLimitProperties } from './pod-limits.js';

/** Inside the pod: the KEY=VALUE sysctls of the pod, read by SYSCTL_SCRIPT. */
export const SYSCTL_CONF = '/sprocket/sysctl.conf';
export const SYSCTL_SCRIPT = '/sprocket/sysctl';
export const SYSCTL_UNIT = 'sprocket-sysctl.service';

/** [Service] lines of an app's isolation. */
export function isolationLines(i: AppIsolation): string[] {
  const optional = (key: string, value: string | number | undefined) => (value === undefined ? [] : [`${key}=${value}`]);
  return [
    `CapabilityBoundingSet=${i.capabilities.join(' ')}`,
    ...(i.noNewPrivileges ? ['NoNewPrivileges=yes'] : []),
    ...(i.seccomp ? [`SystemCallFilter=${i.seccomp.mode === 'deny' ? '~' : ''}${i.seccomp.syscalls.join(' ')}`] : []),
    // After the app's own set: systemd takes these out of an allow list, adds them to a deny list.
    ...(i.seccompDefault ? [`SystemCallFilter=~${DEFAULT_SECCOMP_DENY.join(' ')}`] : []),
    // Without it, systemd kills a process that makes a filtered call (SIGSYS), as appc says for an empty errno.
    ...optional('SystemCallErrorNumber', i.seccomp ? i.seccomp.errno : i.seccompDefault ? DEFAULT_SECCOMP_ERRNO : undefined),
    ...optional('MemoryMax', i.memoryMax),
    ...optional('MemoryLow', i.memoryLow),
    ...optional('CPUQuota', i.cpuQuotaPercent === undefined ? undefined : `${i.cpuQuotaPercent}%`),
    ...optional('CPUWeight', i.cpuWeight),
    ...optional('OOMScoreAdjust', i.oomScoreAdjust),
    ...optional('SELinuxContext', i.selinuxContext),
    ...optional('AppArmorProfile', i.apparmorProfile),
  ];
}

/** Properties of the host unit from the pod's isolation (isolators and limits): they bound every app of the pod. */
export const podIsolationProperties = (i: PodIsolation): UnitProperties => ({ ...podIsolatorProperties(i), ...(i.limits ? podLimitProperties(i.limits) : {}) });

/** Properties of the host unit from the pod's isolators alone (an inline pod's service has its own instead). */
export function podIsolatorProperties(i: PodIsolation): UnitProperties {
  return {
    ...(i.memoryMax !== undefined ? { MemoryMax: i.memoryMax } : {}),
    ...(i.memoryLow !== undefined ? { MemoryLow: i.memoryLow } : {}),
    // CPUQuota=1% is 10 ms of CPU time per second.
    ...(i.cpuQuotaPercent !== undefined ? { CPUQuotaPerSecUSec: i.cpuQuotaPercent * 10_000 } : {}),
    ...(i.cpuWeight !== undefined ? { CPUWeight: i.cpuWeight } : {}),
    ...(i.oomScoreAdjust !== undefined ? { OOMScoreAdjust: i.oomScoreAdjust } : {}),
  };
}

/**
 * sprocket-sysctl.service: nspawn mounts the pod's /proc/sys read-only, so
 * the script remounts it writable in a mount namespace of its own
 * (PrivateMounts=); the values land in the pod's IPC and network namespaces.
 * A failure ends the pod before any app starts.
 */
export const SYSCTL_UNIT_TEXT = [
  '[Unit]',
  'Description=sprocket: sysctls of the pod',
  'DefaultDependencies=no',
  'FailureAction=exit',
  '',
  '[Service]',
  'Type=oneshot',
  'RemainAfterExit=yes',
  'PrivateMounts=yes',
  `ExecStart=${SYSCTL_SCRIPT} ${SYSCTL_CONF}`,
  '',
].join('\n');

/** The text of SYSCTL_CONF. */
export const sysctlConf = (i: PodIsolation) => i.sysctls.map((s) => `${s.key}=${s.value}\n`).join('');
