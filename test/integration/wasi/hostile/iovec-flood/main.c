/* fd_write with millions of one-byte iovecs (the report: 4.4 GB RSS from a 256 MiB function). */
#include "../../cases/_lib/check.h"

int main(int argc, char **argv) {
  setup();
  unsigned count = (unsigned)atoi(argc > 1 ? argv[1] : "4000000");
  static const uint8_t one = 'x';
  /* Past the fuel the array is never read, so it need not exist: point at one iovec. */
  static __wasi_ciovec_t single = {&one, 1};
  __wasi_ciovec_t *iovs = count > (1u << 24) ? &single : malloc(count * sizeof *iovs);
  if (!iovs) return 9;
  for (unsigned i = 0; count <= (1u << 24) && i < count; i++) iovs[i] = (__wasi_ciovec_t){&one, 1};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_write(2, iovs, count, &n);
  printf("errno=%s n=%u\n", errno_name(e), (unsigned)n);
  return 0;
}
