// `sprocket run` and `sprocket prepare`: the rkt-style command line
// (run-args.ts) becomes a prepared pod; run then starts it, in the
// foreground (output shown, exit code = the pod's) or detached (-d).
import { Command } from 'commander';
import type { PodRequest } from '../pod/request.js';
import { usage } from '../errors.js';
import { withPods } from './pod-context.js';

/** The network flags of run, prepare and run-prepared (docs/networking.md). */
export const NET_FLAG_HELP = `  --net NAME[:K=V;K=V][,NAME...]|host|none
                             the pod's networks (default: default, a contained network with NAT);
                             default-restricted reaches the host only; host: the host's network;
                             none: loopback only; other names from net.d; K=V: CNI_ARGS (IP=10.1.2.3)
  --port NAME:[HOSTIP:]HOSTPORT
                             publish the app port NAME (image or pod manifest ports) on the host;
                             inline: a socket-activated port, as the service's socket (docs/units.md)
  --dns IP|host|none         name servers (repeatable); host: the host's (systemd-resolved's upstreams);
                             none: the image's own resolv.conf
  --dns-search DOMAIN, --dns-opt OPTION
                             search domains, resolv.conf options (repeatable)
  --hostname NAME            the pod's host name (default: sprocket-<uuid>)
  --hosts-entry IP=NAME|host an /etc/hosts entry (repeatable); host: the host's /etc/hosts`;

const FLAGS = `
Pod flags (before the first image):
  --pod-manifest FILE        run this appc pod manifest instead of images and app flags
  --volume NAME,kind=host|empty[,source=PATH][,readOnly=BOOL][,recursive=BOOL][,mode=0755][,uid=N][,gid=N]
  --name NAME                a name for the pod, unique among live pods
  --uuid-file-save FILE      write the pod's UUID to FILE
  --set-env NAME=VALUE       environment of every app
  --set-env-file FILE        environment of every app from NAME=VALUE lines (# and ; lines skipped), below --set-env;
                             its values, as every environment value, are copied in clear text into the pod's
                             directory (pods/<uuid>/pod, plan.json): give secrets with --secret
  --secret NAME=FILE         a file of the host for every app, read when the pod starts, as $CREDENTIALS_DIRECTORY/NAME
                             (a systemd credential; never written into the pod's directory; docs/pods.md, "Secrets")
  --inherit-env[=BOOL]       every app gets this command's environment (below the image's and the flags')
  --mds-register[=BOOL]      register with the metadata service and set AC_METADATA_URL (default true)
${NET_FLAG_HELP}
  --insecure-options LIST    checks to skip when images are fetched (as sprocket fetch);
                             paths: apps see /proc and /sys without sensitive paths hidden (docs/isolators.md);
                             capabilities, labels: images may widen appc's default capabilities or
                             choose their own SELinux/AppArmor label (else refused; docs/isolators.md);
                             seccomp: no default seccomp filter, images' own sets apply as written
  --pull-policy never|new|update
                             images named: never: the store only; new (default): the store's, else fetched;
                             update: ask the remote for a newer one (as sprocket fetch, docs/fetch.md)
  --strict-isolators         refuse to run a pod whose isolators would not all be enforced as given
  --private-users yes|no     yes: the pod runs in a user namespace of its own, its root an unprivileged
                             range of host uids (default no, for now); no: the pod's root is the host's
                             (docs/isolators.md, "User namespaces")
  --tasks-max N|infinity     the pod's TasksMax= (default 4096): processes and threads of the whole pod
  --limit-nofile N           open files: the hard limit of nspawn, the pod's systemd and every app, soft 1024 or N if
                             lower (default 524288; LimitNOFILE=, the pod's DefaultLimitNOFILE=)
  --log-rate-limit-interval SPAN, --log-rate-limit-burst N
                             journald keeps N lines of the pod's per SPAN, N scaled up with free disk space
                             (default 10000 per 30s; LogRateLimitIntervalSec=, LogRateLimitBurst=; 0: no limit)
  -d, --detach               (run) start the pod and return once it is up (every app started), printing its UUID
  --unit-mode transient|inline
                             (run) transient: the pod is its own unit, sprocket-<uuid>.service (default);
                             inline: as ExecStart= of a service, the pod becomes that service's main
                             process (its cgroup, limits, stop, readiness, journal; docs/units.md)
  --interactive              one app, in the foreground, with this terminal as its stdin and stdout
App flags (after an image):
  --name NAME                the app's name (default: last element of the image name)
  --exec PATH                replace the image's command
  --user USER, --group GROUP name (from the image's /etc/passwd, /etc/group), number or path
  --working-dir DIR          the app's working directory
  --environment NAME=VALUE   environment of this app
  --secret NAME=FILE         a file of the host for this app alone, as $CREDENTIALS_DIRECTORY/NAME (replaces the
                             pod's secret of that name)
  --mount volume=NAME,target=PATH
  --readonly-rootfs[=BOOL]   the app's root filesystem is read-only
  --supplementary-gids GIDS  supplementary group IDs, like 1024,2048
  --annotation NAME=VALUE    an annotation of the app in the pod manifest (metadata service)
  --restart no|on-failure|always
                             start the app again when it exits (failed, or at all) inside the running pod;
                             the pod ends when an app without it fails, or when every app has exited
  --restart-delay SPAN       wait this long before (like 500ms, 2s, 1min; systemd's default 100ms)
  --health-cmd COMMAND       a health check: a line for the app's /bin/sh -c, or a JSON array of words
                             (["/bin/check", "-q"]); run in the app's root as the app, by the pod's systemd
  --health-interval SPAN     between checks (default 30s)
  --health-timeout SPAN      a check that runs longer fails (default 30s)
  --health-start-period SPAN failures this soon after the app started do not count (default 0s)
  --health-retries N         consecutive failures that make the app unhealthy (default 3)
  --health-on-failure kill|stop|none
                             when unhealthy: kill (default): SIGKILL, the app's --restart decides (no: the
                             pod ends); stop: the pod ends, failed; none: marked only (docs/pods.md)
  --share-processes[=BOOL]   the app may look into the other apps' processes (environment, memory, roots through
                             /proc; ptrace), as its user and capabilities allow, and apps with this flag into
                             it; without it, apps are kept apart (docs/isolators.md)
  --user-annotation NAME=VALUE, --user-label NAME=VALUE
                             the app's userAnnotations, userLabels
  -- ARGS                    arguments appended to the command (up to ---)
Isolator flags (after an image; each replaces the image's isolator of its kind, docs/isolators.md):
  --memory QUANTITY          memory limit, like 64Mi or 128M (resource/memory)
  --cpu QUANTITY             CPU limit, like 500m or 2 (resource/cpu)
  --cpu-shares N             relative CPU weight, 2..262144 (os/linux/cpu-shares)
  --caps-retain CAPS         keep only these capabilities: CAP_NET_BIND_SERVICE,CAP_CHOWN
  --caps-remove CAPS         remove these from the default capabilities
  --seccomp mode=retain|remove[,errno=ENAME],SYSCALL,...
                             allow only / deny these system calls (or systemd groups: @system-service);
                             errno: fail them with it instead of SIGSYS
  --oom-score-adj N          -1000..1000 (also --oom-score-adjust, rkt's name)
IMAGE is an image ID, name[:version][,label=value], FILE.aci or URL. Apps are
separated by --- (or start at the next image). See docs/pods.md.`;

/** run and prepare: the command line is parsed (and refused) before anything else happens. */
function podCommand(program: Command, name: string, description: string, action: (request: PodRequest, cmd: Command) => Promise<void>) {
  program
    .command(name)
    .description(description)
    .usage('[pod flags] IMAGE [app flags] [-- ARGS] [--- IMAGE [app flags] [-- ARGS]]...')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', FLAGS)
    .action(async (argv: string[], _o: unknown, cmd: Command) => {
      const { isHelp, parseRunArgs } = await import('./run-args.js');
      if (isHelp(argv)) cmd.help();
      await action(parseRunArgs(argv), cmd);
    });
}

export function register(program: Command): void {
  podCommand(program, 'run', 'prepare a pod and run it (in the foreground, or detached with -d)', (request, cmd) =>
    withPods(cmd, async (ctx) => {
      const { launchInline, runPod } = await import('./pod-launch.js');
      if (request.unitMode === 'inline') await launchInline(ctx, request, cmd);
      else await runPod(ctx, request, cmd);
    }, { systemdNow: true }));
  podCommand(program, 'prepare', 'prepare a pod and print its UUID; start it with run-prepared', (request, cmd) =>
    withPods(cmd, async (ctx) => {
      if (request.unitMode === 'inline') throw usage('--unit-mode=inline is for run (ExecStart= of a service), not prepare', { field: '--unit-mode' });
      const { prepare } = await import('./pod-launch.js');
      process.stdout.write(`${await prepare(request, cmd, ctx)}\n`);
    }));
}
