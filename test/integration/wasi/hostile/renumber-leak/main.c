/* fd_renumber onto an open fd, over and over: each time the target's host fd must be closed. */
#include "../../cases/_lib/check.h"

int main(void) {
  setup();
  for (int i = 0; i < 2000; i++) {
    __wasi_fd_t a, b;
    if (open_at(SANDBOX, "a.txt", 0, R_READ, 0, &a) || open_at(SANDBOX, "a.txt", 0, R_READ, 0, &b)) return 1;
    if (__wasi_fd_renumber(a, b)) return 2;
    closefd(b);
  }
  /* Left open on purpose: the end of the invocation closes them. */
  for (int i = 0; i < 10; i++) {
    __wasi_fd_t fd;
    if (open_at(SANDBOX, "a.txt", 0, R_READ, 0, &fd)) return 3;
  }
  printf("done\n");
  return 0;
}
