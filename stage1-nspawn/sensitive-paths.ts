// Kernel interfaces an app must not reach. MountAPIVFS= gives an app a fresh
// procfs without the protections nspawn puts on the pod's own /proc
// (read-only /proc/sys, /proc/sysrq-trigger, /proc/acpi, /proc/bus, /proc/fs,
// /proc/irq; /proc/kcore, /proc/kmsg ... hidden), and systemd 252 cannot
// protect single files of that fresh procfs (ReadOnlyPaths= of a file there
// fails: the file does not exist yet when the namespace is set up). So every
// app gets the pod's /proc bound over it (same PID namespace: the same
// processes), and the directories below hidden. --insecure-options=paths
// leaves the fresh procfs and /sys as they are.

/** Hidden (an inaccessible directory mounted over them) in every app. */
export const INACCESSIBLE_PATHS = ['/proc/asound', '/proc/scsi', '/sys/firmware'];

/**
 * The [Service] lines that protect them in the app whose root is `root`:
 * ReadOnlyPaths=/InaccessiblePaths= name paths of the pod, not of the app's
 * root (systemd 252). "-": a path this kernel lacks is no error.
 */
export const sensitivePathLines = (root: string) => [
  'BindPaths=/proc',
  `InaccessiblePaths=${INACCESSIBLE_PATHS.map((p) => `-${root}${p}`).join(' ')}`,
];
