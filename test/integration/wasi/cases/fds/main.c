/* The descriptor table: numbering, fd_renumber onto open fds, closing preopens and stdio. */
#include "../_lib/check.h"

static __wasi_fd_t must_open(const char *path) {
  __wasi_fd_t fd = 0;
  __wasi_errno_t e = open_at(SANDBOX, path, 0, R_RW, 0, &fd);
  if (e) printf("open %s: %s\n", path, errno_name(e));
  return fd;
}

int main(void) {
  setup();
  __wasi_fd_t a = must_open("a.txt"), b = must_open("b.txt");
  printf("a=%u b=%u\n", a, b);
  T("close a", __wasi_fd_close(a));
  T("close a again", __wasi_fd_close(a));
  __wasi_fd_t c = must_open("c.txt");
  printf("c=%u (reused)\n", c);
  T("renumber b onto c", __wasi_fd_renumber(b, c));
  show("  read c (now b.txt)", c);
  T("  fd b is gone", __wasi_fd_close(b));
  T("renumber c onto a closed fd", __wasi_fd_renumber(c, 40));
  T("renumber a closed fd onto c", __wasi_fd_renumber(41, c));
  T("renumber c onto itself", __wasi_fd_renumber(c, c));
  __wasi_fd_t d = must_open("a.txt");
  printf("d=%u\n", d);
  /* Many opens and closes: the numbers come back. */
  unsigned sum = 0;
  __wasi_fd_t many[100];
  for (int i = 0; i < 100; i++) sum += many[i] = must_open("a.txt");
  for (int i = 0; i < 100; i++) closefd(many[i]);
  printf("sum of 100 fds=%u\n", sum);
  printf("next=%u\n", must_open("a.txt"));
  /* A file renumbered onto stderr takes stderr's place. */
  __wasi_fd_t e = must_open("err.txt");
  T("renumber err.txt onto stderr", __wasi_fd_renumber(e, 2));
  T("  write to fd 2", put(2, "to the file"));
  __wasi_filestat_t st;
  T("  stat err.txt", __wasi_path_filestat_get(SANDBOX, 0, "err.txt", &st));
  printf("  size=%llu\n", (unsigned long long)st.size);
  T("close stdin", __wasi_fd_close(0));
  char buf[4];
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  __wasi_size_t n;
  T("  read stdin", __wasi_fd_read(0, &iov, 1, &n));
  /* Overwriting the preopen with a file, then the preopen is a file. */
  __wasi_fd_t f = must_open("b.txt");
  T("renumber a file onto the preopen", __wasi_fd_renumber(f, SANDBOX));
  __wasi_prestat_t pre;
  T("  prestat of 3", __wasi_fd_prestat_get(SANDBOX, &pre));
  show("  read 3", SANDBOX);
  T("close 3", __wasi_fd_close(SANDBOX));
  T("  path_open on 3", open_at(SANDBOX, "a.txt", 0, R_READ, 0, &f));
  return 0;
}
