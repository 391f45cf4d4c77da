/*
 * app-log: the one writer of a pod's app output to the host's journal
 * (app-log.service of the pod, stage1-nspawn/app-log.ts). Built by
 * `npm run build` into dist/stage1-nspawn/app-log, copied into each pod.
 *
 *   app-log DIR APP...   opens DIR/APP.stdout and DIR/APP.stderr (FIFOs that
 *                        app-log.socket of the pod's systemd made and holds
 *                        open), says READY=1 to the pod's systemd, and copies
 *                        them into the journal until the pod's systemd (PID
 *                        1) sends SIGTERM
 *   app-log --event      sends FIELD=value lines of stdin as one journal
 *                        entry (the health keeper's events, app-health)
 *
 * journald takes a line's _SYSTEMD_UNIT, cgroup (and so the pod's fields)
 * from /proc of the process that wrote it, when it handles the line: this
 * process is that writer for every app, and lives until journald has
 * handled all it wrote. Per app it connects two journal streams (as
 * sd_journal_stream_fd does: identifier APP, stdout at priority info,
 * stderr at err, level prefixes parsed) and passes each FIFO's bytes on as
 * they come. It holds a write end of every FIFO, so no end of file comes
 * between an app's processes (pre-start, app, post-stop). On SIGTERM (after
 * every app's unit stopped) it reads what is left, ends a last line that
 * has no newline, ends its streams and exits once journald has closed them
 * (journald handles a stream's lines in order and closes its end at the
 * stream's end, after the last line). No `journalctl --sync`: that asks
 * journald's control socket, which is root's on the host alone (a pod with
 * user namespaces is not; and no app may reach it, so it is not in the
 * pod's journal directory as apps see it).
 *
 * The journal is the host's /run/systemd/journal bound at /sprocket/journal
 * of the pod (POD_JOURNAL in stage1-nspawn/app-log.ts).
 *
 * Apps share the pod's PID namespace and, as root, may signal this
 * process. Every signal that can be blocked is, and a SIGTERM that does not
 * come from the pod's systemd is ignored: an app can only kill it (SIGKILL)
 * or stop it (SIGSTOP). The pod's systemd then starts it again (Restart=):
 * the FIFOs, held by app-log.socket, keep what the apps wrote meanwhile.
 * A stopped copier stops pinging the watchdog (WATCHDOG=1 every quarter of
 * WatchdogSec=, also while journald is slow to read), and the pod's systemd
 * kills it. What it had read and not yet passed on is lost (at most one
 * read, 16 KiB, of one stream).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_STDOUT "/sprocket/journal/stdout"
#define JOURNAL_SOCKET "/sprocket/journal/socket"
#define IDENTIFIER "sprocket_app-log"
/* How long the copier waits for journald to handle what it sent, at most. */
#define HANDLED_TIMEOUT_MS 10000
#define EVENT_MAX 65536
#define PRIORITY_INFO 6
#define PRIORITY_ERR 3
/* sd_listen_fds(3): the first file descriptor passed by the pod's systemd. */
#define LISTEN_FDS_START 3

struct channel {
  const char *app;
  int priority;
  char fifo[4096];
  int in;        /* the FIFO, read and write */
  int out;       /* the journal stream, -1 while not connected */
  char last;     /* the last byte passed on */
};

static void fail(const char *what, const char *name) {
  fprintf(stderr, "app-log: %s %s: %s\n", what, name, strerror(errno));
  exit(1);
}

/* The pod's systemd's notification socket ($NOTIFY_SOCKET, sd_notify's protocol), taken from the environment at start. */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static int notify_fd = -1;
/* How often the watchdog is pinged (a quarter of WatchdogSec=), 0 without one; and when it last was. */
static long long ping_every_ms;
static long long pinged_ms;

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void notify(const char *message) {
  if (notify_fd < 0) return;
  if (sendto(notify_fd, message, strlen(message), 0, (struct sockaddr *)&notify_addr, notify_len) < 0) fail("notify", message);
}

static void take_notify_socket(void) {
  const char *socket_path = getenv("NOTIFY_SOCKET");
  if (!socket_path) return;
  size_t len = strlen(socket_path);
  if (len == 0 || len >= sizeof notify_addr.sun_path) {
    errno = EINVAL;
    fail("notify socket", socket_path);
  }
  notify_addr.sun_family = AF_UNIX;
  memcpy(notify_addr.sun_path, socket_path, len);
  if (notify_addr.sun_path[0] == '@') notify_addr.sun_path[0] = 0; /* abstract */
  notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (notify_fd < 0) fail("socket", socket_path);
  const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
  if (usec && (!pid || atol(pid) == (long)getpid())) {
    ping_every_ms = atoll(usec) / 4000;
    if (ping_every_ms < 1) ping_every_ms = 1;
  }
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

/* WATCHDOG=1 when a quarter of WatchdogSec= has passed since the last one. */
static void ping_watchdog(void) {
  if (!ping_every_ms) return;
  long long t = now_ms();
  if (t - pinged_ms < ping_every_ms) return;
  notify("WATCHDOG=1");
  pinged_ms = t;
}

/* How long a wait may last before the watchdog is due (poll's timeout: -1 for ever). */
static int wait_ms(void) {
  return ping_every_ms ? (int)ping_every_ms : -1;
}

/* Writes all of p; on a non-blocking fd, waits for room and pings the watchdog meanwhile (journald slow to read is not a hung copier). */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return -1;
      struct pollfd out = { .fd = fd, .events = POLLOUT };
      if (poll(&out, 1, wait_ms()) < 0 && errno != EINTR) return -1;
      ping_watchdog();
      continue;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A journal stream: the header of journald's stdout protocol (identifier, unit, priority, level prefix, forward to syslog, kmsg, console). Not shut for reading: its end of file says journald handled it all (streams_handled). */
static int open_stream(const char *identifier, int priority) {
  struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  char header[512];
  int n = snprintf(header, sizeof header, "%s\n\n%d\n1\n0\n0\n0\n", identifier, priority);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || write_all(fd, header, (size_t)n) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static int connect_stream(struct channel *c) { return open_stream(c->app, c->priority); }

/*
 * Ends the `n` streams `fds` (-1: none) and waits until journald has closed
 * each: it reads a stream in order and, at its end, handles the lines left
 * and closes its end, all before it turns to anything else. So every line
 * sent on them has been handled, with this process's cgroup, still alive.
 * Returns how many were not closed in time.
 */
static int streams_handled(const int *fds, int n) {
  struct pollfd *p = calloc((size_t)n + 1, sizeof *p);
  if (!p) fail("allocate", "streams");
  int open_streams = 0;
  for (int i = 0; i < n; i++) {
    p[i].fd = -1;
    if (fds[i] < 0 || shutdown(fds[i], SHUT_WR) < 0) continue;
    p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
    open_streams++;
  }
  long long deadline = now_ms() + HANDLED_TIMEOUT_MS;
  while (open_streams > 0) {
    long long left = deadline - now_ms();
    int r = left > 0 ? poll(p, (nfds_t)n, ping_every_ms && ping_every_ms < left ? (int)ping_every_ms : (int)left) : 0;
    ping_watchdog();
    if ((r < 0 && errno == EINTR) || (r == 0 && now_ms() < deadline)) continue;
    if (r <= 0) {
      fprintf(stderr, "app-log: journald did not finish %d stream(s) within %d ms\n", open_streams, HANDLED_TIMEOUT_MS);
      break;
    }
    for (int i = 0; i < n; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      char b[256];
      ssize_t k = read(p[i].fd, b, sizeof b);
      if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (k > 0) continue; /* journald never writes; taken as nothing */
      p[i].fd = -1;
      open_streams--;
    }
  }
  free(p);
  return open_streams;
}

/* Passes bytes on; a stream broken by a restart of journald is connected again once. */
static void pass_on(struct channel *c, const char *p, size_t n) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (c->out < 0) c->out = connect_stream(c);
    if (c->out >= 0 && write_all(c->out, p, n) == 0) {
      c->last = p[n - 1];
      return;
    }
    fprintf(stderr, "app-log: journal stream of %s (priority %d): %s\n", c->app, c->priority, strerror(errno));
    if (c->out >= 0) close(c->out);
    c->out = -1;
  }
}

/* Reads what the FIFO holds now and passes it on. */
static void drain(struct channel *c) {
  static char buf[16384];
  for (;;) {
    ssize_t r = read(c->in, buf, sizeof buf);
    if (r > 0) {
      pass_on(c, buf, (size_t)r);
      ping_watchdog();
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    return; /* EAGAIN: empty (never end of file: we hold a write end) */
  }
}

/*
 * One entry through journald's native protocol (each line of stdin a
 * FIELD=value). The entry's _SYSTEMD_UNIT and cgroup, which tell sprocket's
 * events from an app's forgeries, are read from /proc of this process when
 * journald handles the entry, so it lives until then (logger --journald
 * exits at once and lost them at times): until journald has taken the
 * datagram from the socket (nothing of ours queued, SIOCOUTQ), which it
 * handles before it turns to anything else, and then has handled a stream
 * connected after that (journald is one thread: that stream comes later).
 */
static int send_event(void) {
  static char entry[EVENT_MAX];
  size_t n = 0;
  for (;;) {
    ssize_t r = read(0, entry + n, sizeof entry - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("read", "the event");
    if (r == 0) break;
    n += (size_t)r;
    if (n == sizeof entry) {
      errno = EMSGSIZE;
      fail("read", "the event");
    }
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", JOURNAL_SOCKET);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy(addr.sun_path, JOURNAL_SOCKET);
  if (sendto(fd, entry, n, 0, (struct sockaddr *)&addr, sizeof addr) < 0) fail("send to", JOURNAL_SOCKET);
  long long deadline = now_ms() + HANDLED_TIMEOUT_MS;
  for (int queued = 1; queued > 0;) {
    if (ioctl(fd, SIOCOUTQ, &queued) < 0) fail("SIOCOUTQ of", JOURNAL_SOCKET);
    if (queued == 0) break;
    if (now_ms() > deadline) {
      fprintf(stderr, "app-log: journald did not take the event within %d ms\n", HANDLED_TIMEOUT_MS);
      return 1;
    }
    nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
  }
  int stream = open_stream(IDENTIFIER, PRIORITY_INFO);
  if (stream < 0) fail("connect to", JOURNAL_STDOUT);
  return streams_handled(&stream, 1) ? 1 : 0;
}

/* Whether the SIGTERM read from `sfd` came from the pod's systemd, which stops this unit; an app's is reported and ignored. */
static int stop_requested(int sfd) {
  struct signalfd_siginfo si;
  if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si) return 0;
  if (si.ssi_pid == 1) return 1;
  fprintf(stderr, "app-log: SIGTERM from PID %u ignored: only the pod's systemd stops the copier\n", si.ssi_pid);
  return 0;
}

static void fifo_path(char *out, size_t size, const char *dir, const char *app, const char *stream) {
  if ((size_t)snprintf(out, size, "%s/%s.%s", dir, app, stream) >= size) {
    errno = ENAMETOOLONG;
    fail("path of", app);
  }
}

/* The fds the pod's systemd passed (app-log.socket's FIFOs, LISTEN_FDS): the FIFOs are opened by path instead, so they are closed. */
static void close_passed_fds(void) {
  const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
  if (fds && pid && atol(pid) == (long)getpid())
    for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + atoi(fds); fd++) close(fd);
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDNAMES");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--event") == 0) return send_event();
  if (argc < 2) {
    fprintf(stderr, "usage: app-log DIR APP... | app-log --event\n");
    return 2;
  }
  const char *dir = argv[1];
  int apps = argc - 2;
  int n = 2 * apps;
  struct channel *ch = calloc((size_t)n + 1, sizeof *ch);
  struct pollfd *pfd = calloc((size_t)n + 1, sizeof *pfd);
  if (!ch || !pfd) fail("allocate", "channels");
  signal(SIGPIPE, SIG_IGN);
  /* Every signal an app could end or pause it with, SIGKILL and SIGSTOP apart, is blocked; SIGTERM is read from a signalfd. */
  sigset_t all, term;
  sigfillset(&all);
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) fail("block", "signals");
  int sfd = signalfd(-1, &term, SFD_CLOEXEC);
  if (sfd < 0) fail("signalfd", "SIGTERM");
  take_notify_socket();
  close_passed_fds();
  for (int i = 0; i < n; i++) {
    struct channel *c = &ch[i];
    c->app = argv[2 + i / 2];
    if (strchr(c->app, '\n')) {
      errno = EINVAL;
      fail("app name", c->app);
    }
    c->priority = i % 2 ? PRIORITY_ERR : PRIORITY_INFO;
    c->last = '\n';
    fifo_path(c->fifo, sizeof c->fifo, dir, c->app, i % 2 ? "stderr" : "stdout");
    /* Read and write: a FIFO opened so never blocks, and never reports an end. No O_CREAT: app-log.socket made it. */
    c->in = open(c->fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (c->in < 0) fail("open", c->fifo);
    c->out = connect_stream(c);
    if (c->out < 0) fail("connect to the journal for", c->app);
    pfd[i] = (struct pollfd){ .fd = c->in, .events = POLLIN };
  }
  pfd[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
  notify("READY=1");
  pinged_ms = now_ms();
  for (;;) {
    int ready = poll(pfd, (nfds_t)n + 1, wait_ms());
    if (ready < 0 && errno != EINTR) fail("poll", dir);
    ping_watchdog();
    if (ready <= 0) continue;
    if (pfd[n].revents && stop_requested(sfd)) break;
    for (int i = 0; i < n; i++)
      if (pfd[i].revents) drain(&ch[i]);
  }
  /* Stopped: every app's unit is gone; what they wrote is in the FIFOs. */
  for (int i = 0; i < n; i++) {
    drain(&ch[i]);
    if (ch[i].last != '\n') pass_on(&ch[i], "\n", 1);
  }
  int *out = calloc((size_t)n + 1, sizeof *out);
  if (!out) fail("allocate", "streams");
  for (int i = 0; i < n; i++) out[i] = ch[i].out;
  streams_handled(out, n);
  return 0;
}
