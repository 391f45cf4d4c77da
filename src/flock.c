/*
 * flock(2) for Node.js, which has no binding for it (src/flock.ts). Built
 * by `npm run build` into dist/native/flock.node, loaded when the first
 * lock is taken. Before it, each lock was a flock(1) run on a descriptor
 * inherited from sprocket: a fork of the whole node process, three per
 * `run` (docs/performance.md).
 *
 *   tryLock(fd, shared)  flock(fd, LOCK_EX or LOCK_SH | LOCK_NB): 0, or errno
 *                        (EWOULDBLOCK when another holds it)
 *
 * There is no blocking call: src/pod/lock.ts tries again on a timer rather
 * than block one of libuv's four pool threads per wait.
 *
 * The lock belongs to the open file description, as flock(1)'s did: the
 * kernel drops it when the descriptor is closed or the process dies.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <stdbool.h>
#include <sys/file.h>
#include <node_api.h>

#define CHECK(env, call)                                            \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error((env), NULL, "flock addon: " #call " failed"); \
      return NULL;                                                  \
    }                                                               \
  } while (0)

static int lock_errno(int fd, int op) {
  while (flock(fd, op) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

/* The arguments: a descriptor and whether the lock is shared. */
static bool read_args(napi_env env, napi_callback_info info, int *fd, int *op) {
  size_t argc = 2;
  napi_value argv[2];
  bool shared = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok || napi_get_value_bool(env, argv[1], &shared) != napi_ok) {
    napi_throw_type_error(env, NULL, "flock addon: expected (fd: number, shared: boolean)");
    return false;
  }
  *op = shared ? LOCK_SH : LOCK_EX;
  return true;
}

static napi_value try_lock(napi_env env, napi_callback_info info) {
  int fd, op;
  if (!read_args(env, info, &fd, &op)) return NULL;
  napi_value result;
  CHECK(env, napi_create_int32(env, lock_errno(fd, op | LOCK_NB), &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  CHECK(env, napi_create_function(env, "tryLock", NAPI_AUTO_LENGTH, try_lock, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "tryLock", fn));
  return exports;
}
