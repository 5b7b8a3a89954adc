/* stdio as wasmtime shows it with pipes: fdstat, isatty, seek, sockets, prestat, clocks, poll. */
#include "../_lib/check.h"
#include <unistd.h>

static void fdstat(const char *label, __wasi_fd_t fd) {
  __wasi_fdstat_t st;
  __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
  printf("%s: %s type=%d flags=%d base=%llx\n", label, errno_name(e), st.fs_filetype, st.fs_flags, (unsigned long long)st.fs_rights_base);
}

int main(int argc, char **argv) {
  setup();
  printf("argc=%d", argc);
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  __wasi_size_t count, size;
  T("environ_sizes_get", __wasi_environ_sizes_get(&count, &size));
  printf("  count=%u\n", (unsigned)count);
  for (int fd = 0; fd < 3; fd++) {
    char label[32];
    snprintf(label, sizeof label, "fdstat %d", fd);
    fdstat(label, fd);
    printf("  isatty(%d)=%d\n", fd, isatty(fd));
  }
  __wasi_filestat_t st;
  T("filestat stdout", __wasi_fd_filestat_get(1, &st));
  printf("  type=%d nlink=%llu size=%llu\n", st.filetype, (unsigned long long)st.nlink, (unsigned long long)st.size);
  __wasi_filesize_t pos;
  T("seek stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos));
  T("tell stdin", __wasi_fd_tell(0, &pos));
  T("seek preopen", __wasi_fd_seek(SANDBOX, 0, __WASI_WHENCE_CUR, &pos));
  char buf[16];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  T("pread stdin", __wasi_fd_pread(0, &iov, 1, 0, &n));
  T("pread stdout", __wasi_fd_pread(1, &iov, 1, 0, &n));
  T("pwrite stdout", __wasi_fd_pwrite(1, &ciov, 1, 0, &n));
  T("write stdin", __wasi_fd_write(0, &ciov, 1, &n));
  T("read stdout", __wasi_fd_read(1, &iov, 1, &n));
  T("read stdin", __wasi_fd_read(0, &iov, 1, &n));
  printf("  n=%u \"%.*s\"\n", (unsigned)n, (int)n, buf);
  T("read stdin at end", __wasi_fd_read(0, &iov, 1, &n));
  printf("  n=%u\n", (unsigned)n);
  T("write preopen", __wasi_fd_write(SANDBOX, &ciov, 1, &n));
  T("read preopen", __wasi_fd_read(SANDBOX, &iov, 1, &n));
  __wasi_fd_t nfd;
  __wasi_size_t ro;
  __wasi_roflags_t rof;
  T("sock_accept stdin", __wasi_sock_accept(0, 0, &nfd));
  T("sock_recv preopen", __wasi_sock_recv(SANDBOX, &iov, 1, 0, &ro, &rof));
  T("sock_send stdout", __wasi_sock_send(1, &ciov, 1, 0, &ro));
  T("sock_shutdown stderr", __wasi_sock_shutdown(2, __WASI_SDFLAGS_RD));
  T("sock_shutdown fd 50", __wasi_sock_shutdown(50, __WASI_SDFLAGS_RD));
  __wasi_prestat_t pre;
  T("prestat stdout", __wasi_fd_prestat_get(1, &pre));
  T("prestat 50", __wasi_fd_prestat_get(50, &pre));
  T("prestat_dir_name stdout", __wasi_fd_prestat_dir_name(1, (uint8_t *)buf, sizeof buf));
  T("prestat preopen", __wasi_fd_prestat_get(SANDBOX, &pre));
  printf("  len=%u\n", (unsigned)pre.u.dir.pr_name_len);
  T("prestat_dir_name short", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)buf, 3));
  memset(buf, 0, sizeof buf);
  T("prestat_dir_name", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)buf, sizeof buf));
  printf("  name=%s\n", buf);
  __wasi_timestamp_t t;
  T("clock realtime", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t));
  T("clock monotonic", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
  T("clock process cputime", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t));
  T("clock_res thread cputime", __wasi_clock_res_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, &t));
  __wasi_subscription_t subs[3];
  __wasi_event_t events[3];
  memset(subs, 0, sizeof subs);
  T("poll nothing", __wasi_poll_oneoff(subs, events, 0, &n));
  subs[0].userdata = 7;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 2000000;
  T("poll a 2 ms clock", __wasi_poll_oneoff(subs, events, 1, &n));
  printf("  n=%u userdata=%llu type=%d\n", (unsigned)n, (unsigned long long)events[0].userdata, events[0].type);
  subs[1].userdata = 8;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  subs[0].u.u.clock.timeout = 1000000000;
  T("poll a 1 s clock and stdout", __wasi_poll_oneoff(subs, events, 2, &n));
  printf("  n=%u userdata=%llu type=%d\n", (unsigned)n, (unsigned long long)events[0].userdata, events[0].type);
  subs[1].u.u.fd_write.file_descriptor = 0;
  T("poll write on stdin", __wasi_poll_oneoff(subs, events, 2, &n));
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = SANDBOX;
  T("poll read on the preopen", __wasi_poll_oneoff(subs, events, 2, &n));
  subs[0].u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
  T("poll a cputime clock", __wasi_poll_oneoff(subs, events, 1, &n));
  T("sched_yield", __wasi_sched_yield());
  T("random_get 100000", __wasi_random_get((uint8_t *)malloc(100000), 100000));
  fprintf(stderr, "to stderr\n");
  return 3;
}
