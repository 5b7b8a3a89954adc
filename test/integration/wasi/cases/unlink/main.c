/* Removing and renaming: ENOTEMPTY, EISDIR, ENOTDIR and friends. */
#include "../_lib/check.h"

int main(void) {
  setup();
  __wasi_fd_t fd;
  T("mkdir d", __wasi_path_create_directory(SANDBOX, "d"));
  T("create d/f", open_at(SANDBOX, "d/f", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  closefd(fd);
  T("rmdir d (not empty)", __wasi_path_remove_directory(SANDBOX, "d"));
  T("unlink d (a dir)", __wasi_path_unlink_file(SANDBOX, "d"));
  T("unlink d/ (a dir)", __wasi_path_unlink_file(SANDBOX, "d/"));
  T("unlink d/f/", __wasi_path_unlink_file(SANDBOX, "d/f/"));
  T("rmdir d/f (a file)", __wasi_path_remove_directory(SANDBOX, "d/f"));
  T("rmdir .", __wasi_path_remove_directory(SANDBOX, "."));
  T("unlink .", __wasi_path_unlink_file(SANDBOX, "."));
  T("rmdir missing", __wasi_path_remove_directory(SANDBOX, "missing"));
  T("unlink missing", __wasi_path_unlink_file(SANDBOX, "missing"));
  T("mkdir e", __wasi_path_create_directory(SANDBOX, "e"));
  T("create g", open_at(SANDBOX, "g", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  closefd(fd);
  T("rename g onto dir e", __wasi_path_rename(SANDBOX, "g", SANDBOX, "e"));
  T("rename dir e onto file g", __wasi_path_rename(SANDBOX, "e", SANDBOX, "g"));
  T("rename dir e onto non-empty d", __wasi_path_rename(SANDBOX, "e", SANDBOX, "d"));
  T("rename g onto itself", __wasi_path_rename(SANDBOX, "g", SANDBOX, "g"));
  T("rename missing", __wasi_path_rename(SANDBOX, "missing", SANDBOX, "x"));
  T("rename g to missing/x", __wasi_path_rename(SANDBOX, "g", SANDBOX, "missing/x"));
  T("rename d into itself", __wasi_path_rename(SANDBOX, "d", SANDBOX, "d/sub"));
  T("rename g to d/g2", __wasi_path_rename(SANDBOX, "g", SANDBOX, "d/g2"));
  T("rename dir e to e2", __wasi_path_rename(SANDBOX, "e", SANDBOX, "e2"));
  T("rename g/ (a file, trailing slash)", __wasi_path_rename(SANDBOX, "d/g2/", SANDBOX, "h"));
  T("unlink d/f", __wasi_path_unlink_file(SANDBOX, "d/f"));
  T("unlink d/g2", __wasi_path_unlink_file(SANDBOX, "d/g2"));
  T("rmdir d/", __wasi_path_remove_directory(SANDBOX, "d/"));
  T("rmdir e2", __wasi_path_remove_directory(SANDBOX, "e2"));
  T("open an unlinked file's fd still reads", open_at(SANDBOX, "keep", 0, R_READ, 0, &fd));
  T("  unlink keep", __wasi_path_unlink_file(SANDBOX, "keep"));
  show("  read", fd);
  T("rmdir on a file fd", __wasi_path_remove_directory(fd, "x"));
  T("unlink on stdin", __wasi_path_unlink_file(0, "x"));
  return 0;
}
