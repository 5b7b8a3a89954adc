/* Positions: seek/tell, pread/pwrite, append, truncate, filestat sizes and times, readdir cookies. */
#include "../_lib/check.h"

static void pos_of(const char *label, __wasi_fd_t fd) {
  __wasi_filesize_t p = 0;
  __wasi_errno_t e = __wasi_fd_tell(fd, &p);
  printf("%s: %s %llu\n", label, errno_name(e), (unsigned long long)p);
}

static void seek(const char *label, __wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t w) {
  __wasi_filesize_t p = 0;
  __wasi_errno_t e = __wasi_fd_seek(fd, off, w, &p);
  printf("%s: %s %llu\n", label, errno_name(e), (unsigned long long)p);
}

static void size_of(const char *label, __wasi_fd_t fd) {
  __wasi_filestat_t st;
  __wasi_errno_t e = __wasi_fd_filestat_get(fd, &st);
  printf("%s: %s size=%llu type=%d\n", label, errno_name(e), (unsigned long long)st.size, st.filetype);
}

static void pread_at(const char *label, __wasi_fd_t fd, __wasi_filesize_t at, size_t len) {
  char buf[64] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_pread(fd, &iov, 1, at, &n);
  printf("%s: %s n=%u \"%.*s\"\n", label, errno_name(e), (unsigned)n, (int)n, buf);
}

int main(void) {
  setup();
  __wasi_fd_t fd, dir;
  __wasi_size_t n;
  T("create f", open_at(SANDBOX, "f", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  T("write", put(fd, "0123456789"));
  pos_of("tell", fd);
  seek("seek set 2", fd, 2, __WASI_WHENCE_SET);
  char buf[8] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, 3};
  T("read 3", __wasi_fd_read(fd, &iov, 1, &n));
  printf("  \"%s\"\n", buf);
  pos_of("tell", fd);
  seek("seek cur -1", fd, -1, __WASI_WHENCE_CUR);
  seek("seek end -2", fd, -2, __WASI_WHENCE_END);
  seek("seek set -1", fd, -1, __WASI_WHENCE_SET);
  seek("seek cur -100", fd, -100, __WASI_WHENCE_CUR);
  seek("seek past the end", fd, 100, __WASI_WHENCE_SET);
  T("read there", __wasi_fd_read(fd, &iov, 1, &n));
  printf("  n=%u\n", (unsigned)n);
  pread_at("pread 1..5", fd, 1, 4);
  pread_at("pread past the end", fd, 50, 4);
  pos_of("tell unchanged", fd);
  __wasi_ciovec_t ab = {(const uint8_t *)"AB", 2};
  T("pwrite AB at 0", __wasi_fd_pwrite(fd, &ab, 1, 0, &n));
  pos_of("tell unchanged", fd);
  T("pwrite AB at 20", __wasi_fd_pwrite(fd, &ab, 1, 20, &n));
  size_of("size with a hole", fd);
  pread_at("pread 0..10", fd, 0, 10);
  T("set_size 5", __wasi_fd_filestat_set_size(fd, 5));
  size_of("size", fd);
  /* Several iovecs, the first empty: every caller loops until it has all. */
  seek("seek set 0", fd, 0, __WASI_WHENCE_SET);
  char x[2] = {0}, y[8] = {0};
  __wasi_iovec_t vs[3] = {{(uint8_t *)x, 0}, {(uint8_t *)x, 1}, {(uint8_t *)y, 7}};
  size_t got = 0;
  while (got < 5) {
    if (__wasi_fd_read(fd, vs, 3, &n) || n == 0) break;
    got += n;
    if (n >= 1) { vs[1].buf_len = 0; vs[2].buf = (uint8_t *)y + (got - 1); vs[2].buf_len = 7 - (got - 1); }
  }
  printf("  got=%u \"%s%s\"\n", (unsigned)got, x, y);
  T("fd_sync", __wasi_fd_sync(fd));
  T("fd_datasync", __wasi_fd_datasync(fd));
  T("set times", __wasi_fd_filestat_set_times(fd, 1000000000ull * 1000000000ull, 1500000000ull * 1000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_filestat_t st;
  T("stat", __wasi_fd_filestat_get(fd, &st));
  printf("  atim=%llu mtim=%llu\n", (unsigned long long)(st.atim / 1000000000ull), (unsigned long long)(st.mtim / 1000000000ull));
  T("set mtime only", __wasi_path_filestat_set_times(SANDBOX, 0, "f", 0, 1600000000ull * 1000000000ull, __WASI_FSTFLAGS_MTIM));
  T("stat", __wasi_path_filestat_get(SANDBOX, 0, "f", &st));
  printf("  atim=%llu mtim=%llu\n", (unsigned long long)(st.atim / 1000000000ull), (unsigned long long)(st.mtim / 1000000000ull));
  T("set atime and atime now", __wasi_fd_filestat_set_times(fd, 1, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  T("set times on stdout", __wasi_fd_filestat_set_times(1, 0, 0, 0));
  T("close", __wasi_fd_close(fd));
  T("open append", open_at(SANDBOX, "f", 0, R_RW, __WASI_FDFLAGS_APPEND, &fd));
  pos_of("tell", fd);
  T("write +", put(fd, "+"));
  pos_of("tell", fd);
  T("pwrite at 0 (appends)", __wasi_fd_pwrite(fd, &ab, 1, 0, &n));
  pread_at("content", fd, 0, 20);
  T("close", __wasi_fd_close(fd));
  T("open the sandbox as a dir", open_at(SANDBOX, ".", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &dir));
  size_of("dir filestat", dir);
  T("dir fd_sync", __wasi_fd_sync(dir));
  T("dir set_size", __wasi_fd_filestat_set_size(dir, 0));
  pos_of("dir tell", dir);
  T("file fd as readdir base", __wasi_fd_readdir(SANDBOX + 100, (uint8_t *)buf, 8, 0, &n));
  /* readdir: a big buffer, then a small one page by page with d_next; the same entries either way. */
  for (int i = 0; i < 12; i++) {
    char name[8];
    snprintf(name, sizeof name, "e%02d", i);
    T(name, __wasi_path_create_directory(SANDBOX, name));
  }
  static uint8_t big[8192];
  __wasi_size_t used;
  T("readdir all", __wasi_fd_readdir(dir, big, sizeof big, 0, &used));
  char names_a[1024] = "", names_b[1024] = "";
  int count_a = 0, count_b = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t *d = (__wasi_dirent_t *)(big + off);
    strncat(names_a, (char *)(d + 1), d->d_namlen);
    strcat(names_a, ",");
    count_a++;
    off += sizeof(__wasi_dirent_t) + d->d_namlen;
  }
  __wasi_dircookie_t cookie = 0;
  for (;;) {
    uint8_t small[40];
    T("readdir 40 bytes", __wasi_fd_readdir(dir, small, sizeof small, cookie, &used));
    if (used < sizeof(__wasi_dirent_t)) break;
    __wasi_dirent_t *d = (__wasi_dirent_t *)small;
    if (sizeof(__wasi_dirent_t) + d->d_namlen > used) printf("  truncated at %u of %u\n", (unsigned)used, (unsigned)(sizeof(__wasi_dirent_t) + d->d_namlen));
    strncat(names_b, (char *)(d + 1), d->d_namlen);
    strcat(names_b, ",");
    count_b++;
    cookie = d->d_next;
  }
  printf("entries %d and %d, same order: %s\n", count_a, count_b, strcmp(names_a, names_b) == 0 ? "yes" : "no");
  T("readdir past the end", __wasi_fd_readdir(dir, big, sizeof big, 1000, &used));
  printf("  used=%u\n", (unsigned)used);
  T("readdir 0 bytes", __wasi_fd_readdir(dir, big, 0, 0, &used));
  printf("  used=%u\n", (unsigned)used);
  return 0;
}
