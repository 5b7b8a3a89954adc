/* Opens without closing until the host says no. */
#include "../../cases/_lib/check.h"

int main(void) {
  setup();
  __wasi_fd_t fd;
  __wasi_errno_t e = 0;
  unsigned opened = 0;
  while (opened < 100000 && !(e = open_at(SANDBOX, "a.txt", 0, R_READ, 0, &fd))) opened++;
  printf("opened %u then %s\n", opened, errno_name(e));
  return 0;
}
