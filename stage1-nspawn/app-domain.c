/*
 * app-domain: runs an app's command in a Landlock domain of its own, so that
 * no other app of the pod may look into its processes (docs/isolators.md,
 * "Apps kept apart"). Built statically by `npm run build` into
 * dist/stage1-nspawn/app-domain, copied into each pod and bound read-only
 * into the root of every app kept apart: every command of such an app's
 * units (pre-start, the app, post-stop, its health check) is
 *
 *   app-domain [CAP...] -- COMMAND [ARG...]
 *
 * The pod's systemd has set the app up (root, user, bounding set, seccomp
 * filter) before it executes this. Making a domain takes no_new_privs or
 * CAP_SYS_ADMIN. An app under no_new_privs (its isolator; every app that
 * is not root and has a seccomp filter) needs nothing more. Another gets
 * CAP_SYS_ADMIN and CAP_SETPCAP (to take the first out of the bounding set)
 * lent by its unit: raised in its bounding set when they are not the app's
 * own (named as CAP here) and, for an app that is not root, as ambient
 * capabilities. Once the domain is made, each CAP leaves the bounding set;
 * a root process drops the CAPs from its other sets (execve gives it its
 * bounding set again), another process every capability it holds (they
 * were lent: an app that is not root gets only what its files allow), and
 * that is checked before COMMAND is executed in place of this process
 * (same PID: socket activation's LISTEN_PID, notify's MAINPID, systemd's
 * main process stay right). Any failure ends this process with status 1
 * and a message on stderr before COMMAND runs (203 when COMMAND cannot be
 * executed, as systemd's own status for it): a command never runs outside
 * its domain or with a lent capability.
 *
 * The domain handles one file system right, making block device nodes,
 * with no rule that allows it: a pod's device policy already keeps apps
 * from block devices. Landlock also denies changes of the mount topology to
 * any process whose domain handles a file system right. What the domain
 * adds is the kernel's rule for ptrace(2) and /proc/PID/{environ,mem,root,
 * cwd,fd,...}: a process in a domain may reach only processes in the same
 * domain or one nested in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *s) {
  ssize_t unused = write(2, s, strlen(s));
  (void)unused;
}

static int fail(const char *what) {
  const char *why = strerror(errno);
  say("app-domain: ");
  say(what);
  say(": ");
  say(why);
  say("\n");
  return 1;
}

/* The capabilities a unit may lend. */
static int capability(const char *name) {
  if (strcmp(name, "CAP_SYS_ADMIN") == 0) return CAP_SYS_ADMIN;
  if (strcmp(name, "CAP_SETPCAP") == 0) return CAP_SETPCAP;
  return -1;
}

/* This process's capability sets (effective, permitted, inheritable: two words each). */
static int get_caps(struct __user_cap_data_struct data[2]) {
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  return (int)syscall(SYS_capget, &header, data);
}

static int set_caps(struct __user_cap_data_struct data[2]) {
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  return (int)syscall(SYS_capset, &header, data);
}

static int holds_any(const struct __user_cap_data_struct data[2]) {
  for (int w = 0; w < 2; w++)
    if (data[w].effective | data[w].permitted | data[w].inheritable) return 1;
  return 0;
}

/* Gives back what the unit lent: `lent` out of the bounding set, and out of every set of a root process, or every capability of another. */
static int give_back(const int *lent, int n) {
  struct __user_cap_data_struct caps[2];
  if (get_caps(caps) < 0) return fail("read the capabilities");
  int root = getuid() == 0;
  if (!root && !holds_any(caps) && n == 0) return 0;
  if (root && n == 0) return 0;
  for (int k = 0; k < n; k++)
    if (prctl(PR_CAPBSET_DROP, lent[k], 0, 0, 0) < 0) return fail("drop a lent capability from the bounding set");
  if (root) {
    for (int k = 0; k < n; k++) {
      unsigned int bit = 1u << (lent[k] % 32);
      caps[lent[k] / 32].effective &= ~bit;
      caps[lent[k] / 32].permitted &= ~bit;
      caps[lent[k] / 32].inheritable &= ~bit;
    }
  } else {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return fail("clear the ambient capabilities");
    memset(caps, 0, sizeof caps);
  }
  if (set_caps(caps) < 0) return fail("drop the lent capabilities");
  struct __user_cap_data_struct now[2];
  if (get_caps(now) < 0) return fail("read the capabilities");
  int left = !root && holds_any(now);
  for (int k = 0; k < n; k++) {
    int w = lent[k] / 32;
    unsigned int bit = 1u << (lent[k] % 32);
    if (prctl(PR_CAPBSET_READ, lent[k], 0, 0, 0) != 0 || ((now[w].effective | now[w].permitted | now[w].inheritable) & bit)) left = 1;
  }
  if (left) {
    errno = EPERM;
    return fail("a lent capability is still held");
  }
  return 0;
}

int main(int argc, char **argv) {
  int lent[2];
  int n = 0;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    int cap = capability(argv[i]);
    if (cap < 0 || n == 2) break;
    lent[n++] = cap;
  }
  if (i + 1 >= argc || strcmp(argv[i], "--") != 0) {
    say("usage: app-domain [CAP_SYS_ADMIN] [CAP_SETPCAP] -- COMMAND [ARG...]\n");
    return 2;
  }
  char **command = argv + i + 1;

  struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK };
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) {
    if (errno == ENOSYS || errno == EOPNOTSUPP) say("app-domain: this kernel has no Landlock (CONFIG_SECURITY_LANDLOCK, and landlock in lsm=): the app cannot be kept apart from the pod's other apps (docs/isolators.md)\n");
    return fail("landlock_create_ruleset");
  }
  /* The ruleset's descriptor is close-on-exec. */
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) return fail("landlock_restrict_self");
  if (give_back(lent, n)) return 1;

  execv(command[0], command);
  const char *why = strerror(errno);
  say("app-domain: execute ");
  say(command[0]);
  say(": ");
  say(why);
  say("\n");
  /* systemd's status for a command it could not execute (203/EXEC). */
  return 203;
}
