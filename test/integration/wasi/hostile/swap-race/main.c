/* Opens d/secret again and again while the host swaps d between a directory and a symlink out. */
#include "../../cases/_lib/check.h"

int main(int argc, char **argv) {
  setup();
  int tries = atoi(argc > 1 ? argv[1] : "20000"), inside = 0, escaped = 0;
  for (int i = 0; i < tries; i++) {
    __wasi_fd_t fd;
    if (open_at(SANDBOX, "d/secret", 0, R_READ, 0, &fd)) continue;
    char buf[16] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t n;
    if (!__wasi_fd_read(fd, &iov, 1, &n)) {
      if (!strncmp(buf, "OUTSIDE", 7)) escaped++;
      else inside++;
    }
    closefd(fd);
  }
  printf("inside=%d escaped=%d\n", inside, escaped);
  return 0;
}
