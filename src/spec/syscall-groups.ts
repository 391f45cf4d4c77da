// systemd's syscall groups (SystemCallFilter=@mount ...), as systemd 252
// lists them (`systemd-analyze syscall-filter`). sprocket's extension of the
// seccomp sets: the spec's schema allows an `@` name only as a namespaced
// wildcard (`@appc.io/all`); these go to systemd as they are.
export const SYSTEMD_SYSCALL_GROUPS: readonly string[] = [
  '@default', '@aio', '@basic-io', '@chown', '@clock', '@cpu-emulation', '@debug', '@file-system', '@io-event', '@ipc',
  '@keyring', '@memlock', '@module', '@mount', '@network-io', '@obsolete', '@pkey', '@privileged', '@process', '@raw-io',
  '@reboot', '@resources', '@setuid', '@signal', '@swap', '@sync', '@system-service', '@timer', '@known',
];
