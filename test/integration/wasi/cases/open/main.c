/* path_open: directories as fds (Rust std's scratch dir), rights, oflags, trailing slashes, fdflags. */
#include "../_lib/check.h"

static void fdstat(const char *label, __wasi_fd_t fd) {
  __wasi_fdstat_t st;
  __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
  printf("%s: %s type=%d flags=%d base=%llx inheriting=%llx\n", label, errno_name(e), st.fs_filetype, st.fs_flags,
         (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
}

int main(int argc, char **argv) {
  setup();
  __wasi_fd_t fd, fd2;
  /* Values outside a flags type: wasmtime traps, one run each. */
  if (argc > 1 && !strcmp(argv[1], "lookupflags")) T("lookupflags 2", __wasi_path_open(SANDBOX, 2, "seed.txt", 0, R_READ, R_ALL, 0, &fd));
  if (argc > 1 && !strcmp(argv[1], "oflags")) T("oflags 16", __wasi_path_open(SANDBOX, 0, "seed.txt", 16, R_READ, R_ALL, 0, &fd));
  if (argc > 1) return 0;
  fdstat("preopen fdstat", SANDBOX);
  T("open . O_DIRECTORY", open_at(SANDBOX, ".", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  fdstat("dir fdstat", fd);
  T("open file below the dir fd", open_at(fd, "seed.txt", 0, R_READ, 0, &fd2));
  show("  read", fd2);
  T("  close", __wasi_fd_close(fd2));
  T("path_open on a file fd", open_at(fd2, "x", 0, R_READ, 0, &fd2));
  T("close dir", __wasi_fd_close(fd));
  T("open . no oflags", open_at(SANDBOX, ".", 0, R_READ, 0, &fd));
  T("  close", __wasi_fd_close(fd));
  T("open . for writing", open_at(SANDBOX, ".", 0, R_RW, 0, &fd));
  T("open ./ O_DIRECTORY", open_at(SANDBOX, "./", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  T("  close", __wasi_fd_close(fd));
  T("create a.txt excl", open_at(SANDBOX, "a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_RW, 0, &fd));
  T("  write", put(fd, "hello"));
  fdstat("  file fdstat", fd);
  T("  close", __wasi_fd_close(fd));
  T("create a.txt excl again", open_at(SANDBOX, "a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_RW, 0, &fd));
  T("open a.txt/", open_at(SANDBOX, "a.txt/", 0, R_READ, 0, &fd));
  T("open a.txt O_DIRECTORY", open_at(SANDBOX, "a.txt", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  T("open missing", open_at(SANDBOX, "missing", 0, R_READ, 0, &fd));
  T("open missing/x", open_at(SANDBOX, "missing/x", 0, R_READ, 0, &fd));
  T("open a.txt/x", open_at(SANDBOX, "a.txt/x", 0, R_READ, 0, &fd));
  T("open empty path", open_at(SANDBOX, "", 0, R_READ, 0, &fd));
  T("creat|directory", open_at(SANDBOX, "newdir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  T("trunc|directory", open_at(SANDBOX, ".", __WASI_OFLAGS_TRUNC | __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  T("mkdir d", __wasi_path_create_directory(SANDBOX, "d"));
  T("mkdir d again", __wasi_path_create_directory(SANDBOX, "d"));
  T("mkdir e/ (trailing slash)", __wasi_path_create_directory(SANDBOX, "e/"));
  T("mkdir missing/x", __wasi_path_create_directory(SANDBOX, "missing/x"));
  T("create d/ as file", open_at(SANDBOX, "d/", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  T("create new/ as file", open_at(SANDBOX, "new/", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  T("open a.txt read-only", open_at(SANDBOX, "a.txt", 0, R_READ, 0, &fd));
  fdstat("  fdstat", fd);
  T("  write on it", put(fd, "x"));
  T("  set_flags APPEND", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  fdstat("  fdstat", fd);
  T("  set_flags SYNC", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
  T("  set_rights", __wasi_fd_fdstat_set_rights(fd, R_READ, R_READ));
  T("  allocate", __wasi_fd_allocate(fd, 0, 10));
  T("  advise", __wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_SEQUENTIAL));
  T("  close", __wasi_fd_close(fd));
  T("open a.txt truncate", open_at(SANDBOX, "a.txt", __WASI_OFLAGS_TRUNC, R_RW, 0, &fd));
  show("  read after truncate", fd);
  T("  write", put(fd, "new"));
  T("  close", __wasi_fd_close(fd));
  T("open a.txt append", open_at(SANDBOX, "a.txt", 0, R_RW, __WASI_FDFLAGS_APPEND, &fd));
  fdstat("  fdstat", fd);
  T("  write", put(fd, "+tail"));
  T("  close", __wasi_fd_close(fd));
  T("reopen", open_at(SANDBOX, "a.txt", 0, R_READ, 0, &fd));
  show("  content", fd);
  T("  close", __wasi_fd_close(fd));
  T("set_flags on a dir", __wasi_fd_fdstat_set_flags(SANDBOX, 0));
  T("set_flags on stdout", __wasi_fd_fdstat_set_flags(1, 0));
  T("path_open on stdout", open_at(1, "a.txt", 0, R_READ, 0, &fd));
  T("path_open on fd 77", open_at(77, "a.txt", 0, R_READ, 0, &fd));
  return 0;
}
