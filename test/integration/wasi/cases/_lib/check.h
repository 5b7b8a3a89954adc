/*
 * Shared by the C cases of the WASI differential suite: raw preview1 calls, results printed as
 * "label: ERRNO" lines so wasmtime's and our output compare line by line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const char *errno_name(int e) {
  switch (e) {
    case 0: return "OK";
    case __WASI_ERRNO_ACCES: return "ACCES";
    case __WASI_ERRNO_BADF: return "BADF";
    case __WASI_ERRNO_EXIST: return "EXIST";
    case __WASI_ERRNO_FBIG: return "FBIG";
    case __WASI_ERRNO_ILSEQ: return "ILSEQ";
    case __WASI_ERRNO_INVAL: return "INVAL";
    case __WASI_ERRNO_IO: return "IO";
    case __WASI_ERRNO_ISDIR: return "ISDIR";
    case __WASI_ERRNO_LOOP: return "LOOP";
    case __WASI_ERRNO_MFILE: return "MFILE";
    case __WASI_ERRNO_NAMETOOLONG: return "NAMETOOLONG";
    case __WASI_ERRNO_NOENT: return "NOENT";
    case __WASI_ERRNO_NOMEM: return "NOMEM";
    case __WASI_ERRNO_NOSYS: return "NOSYS";
    case __WASI_ERRNO_NOTDIR: return "NOTDIR";
    case __WASI_ERRNO_NOTEMPTY: return "NOTEMPTY";
    case __WASI_ERRNO_NOTSOCK: return "NOTSOCK";
    case __WASI_ERRNO_NOTSUP: return "NOTSUP";
    case __WASI_ERRNO_OVERFLOW: return "OVERFLOW";
    case __WASI_ERRNO_PERM: return "PERM";
    case __WASI_ERRNO_ROFS: return "ROFS";
    case __WASI_ERRNO_SPIPE: return "SPIPE";
    case __WASI_ERRNO_XDEV: return "XDEV";
    case __WASI_ERRNO_NOTCAPABLE: return "NOTCAPABLE";
    default: {
      static char buf[16];
      snprintf(buf, sizeof buf, "errno%d", e);
      return buf;
    }
  }
}

#define T(label, call) printf("%s: %s\n", (label), errno_name(call))

/** The preopen the suite mounts as /sandbox: always the first, fd 3. */
#define SANDBOX 3

#define R_ALL ((__wasi_rights_t)0x3fffffff)
#define R_READ (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR)
#define R_RW (R_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)

/** Unbuffered stdout: a trap must not lose lines still in libc's buffer. */
static void setup(void) { setvbuf(stdout, NULL, _IONBF, 0); }

__attribute__((unused)) static __wasi_errno_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t o, __wasi_rights_t r, __wasi_fdflags_t f, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, o, r, R_ALL, f, fd);
}

/** Writes a whole string to fd (looping over short writes). */
__attribute__((unused)) static __wasi_errno_t put(__wasi_fd_t fd, const char *s) {
  size_t len = strlen(s);
  while (len > 0) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, len};
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &n);
    if (e) return e;
    s += n;
    len -= n;
  }
  return 0;
}

/** Prints what fd holds from its current position (up to 255 bytes). */
__attribute__((unused)) static void show(const char *label, __wasi_fd_t fd) {
  char buf[256];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
  buf[n] = 0;
  printf("%s: %s \"%s\"\n", label, errno_name(e), buf);
}

/** Closes fd, saying so only when that fails. */
__attribute__((unused)) static void closefd(__wasi_fd_t fd) {
  __wasi_errno_t e = __wasi_fd_close(fd);
  if (e) printf("close %u: %s\n", fd, errno_name(e));
}
