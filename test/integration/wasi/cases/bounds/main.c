/* Guest-chosen sizes at and past the host's bounds (hostcall fuel, PATH_MAX); one trap per run. */
#include "../_lib/check.h"

static uint8_t one = 'x';

int main(int argc, char **argv) {
  setup();
  const char *what = argc > 1 ? argv[1] : "";
  __wasi_size_t n = 0;
  if (!strcmp(what, "oob-first")) {
    __wasi_ciovec_t iov = {(const uint8_t *)0xfffffff0u, 100};
    T("write from outside memory", __wasi_fd_write(1, &iov, 1, &n));
    return 0;
  }
  if (!strcmp(what, "exit-200")) __wasi_proc_exit(200);
  /* An iovec array far past the fuel: refused before it is read. */
  T("fd_write 0x10000000 iovecs", __wasi_fd_write(1, (const __wasi_ciovec_t *)&one, 0x10000000, &n));
  T("fd_read 0x10000000 iovecs", __wasi_fd_read(0, (const __wasi_iovec_t *)&one, 0x10000000, &n));
  /* One buffer past the fuel. */
  __wasi_iovec_t huge = {&one, 200u << 20};
  T("fd_read into 200 MiB", __wasi_fd_read(0, &huge, 1, &n));
  /* 2000 one-byte iovecs: however many a call takes, looping writes them all. */
  static __wasi_ciovec_t iovs[2000];
  for (int i = 0; i < 2000; i++) iovs[i] = (__wasi_ciovec_t){&one, 1};
  size_t total = 0, at = 0;
  while (at < 2000) {
    if (__wasi_fd_write(2, iovs + at, 2000 - at, &n)) break;
    total += n;
    at += n;
  }
  printf("wrote %u one-byte iovecs\n", (unsigned)total);
  /* An iovec past memory after the first: the call is short, not a trap. */
  __wasi_ciovec_t mixed[2] = {{(const uint8_t *)"ok", 2}, {(const uint8_t *)0xfffffff0u, 100}};
  T("write ok + an iovec outside memory", __wasi_fd_write(2, mixed, 2, &n));
  printf("  n=%u\n", (unsigned)n);
  char path[5000];
  memset(path, 'a', sizeof path - 1);
  path[sizeof path - 1] = 0;
  __wasi_fd_t fd;
  T("open a 4999-byte path", open_at(SANDBOX, path, 0, R_READ, 0, &fd));
  memset(path, 0, sizeof path);
  for (int i = 0; i < 1000; i++) strcat(path, "./");
  strcat(path, "seed");
  T("open a 2004-byte path of ./", open_at(SANDBOX, path, 0, R_READ, 0, &fd));
  char name[300];
  memset(name, 'b', 299);
  name[299] = 0;
  T("open a 299-byte name", open_at(SANDBOX, name, 0, R_READ, 0, &fd));
  T("open invalid UTF-8", open_at(SANDBOX, "\xff\xfe", 0, R_READ, 0, &fd));
  __wasi_subscription_t sub;
  __wasi_event_t ev;
  T("poll 0x7fffffff subscriptions", __wasi_poll_oneoff(&sub, &ev, 0x7fffffff, &n));
  T("random_get 1 MiB", __wasi_random_get((uint8_t *)malloc(1 << 20), 1 << 20));
  return 0;
}
