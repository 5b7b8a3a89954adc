/* Symlinks (create, read, loops, dangling, NOFOLLOW / lookupflags) and every way out of the sandbox. */
#include "../_lib/check.h"

static void stat_type(const char *label, __wasi_lookupflags_t follow, const char *path) {
  __wasi_filestat_t st;
  __wasi_errno_t e = __wasi_path_filestat_get(SANDBOX, follow, path, &st);
  printf("%s: %s type=%d\n", label, errno_name(e), e ? -1 : st.filetype);
}

static void readlink_of(const char *label, const char *path, size_t cap) {
  char buf[64] = {0};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_path_readlink(SANDBOX, path, (uint8_t *)buf, cap, &n);
  printf("%s: %s n=%u \"%.*s\"\n", label, errno_name(e), (unsigned)n, (int)n, buf);
}

int main(void) {
  setup();
  __wasi_fd_t fd;
  T("symlink l1 -> a.txt", __wasi_path_symlink("a.txt", SANDBOX, "l1"));
  T("symlink l1 again", __wasi_path_symlink("a.txt", SANDBOX, "l1"));
  readlink_of("readlink l1", "l1", 64);
  readlink_of("readlink l1 into 2 bytes", "l1", 2);
  readlink_of("readlink a regular file", "a.txt", 64);
  readlink_of("readlink missing", "missing", 64);
  T("open l1 following", open_at(SANDBOX, "l1", 0, R_READ, 0, &fd));
  show("  read", fd);
  closefd(fd);
  T("open l1 not following", __wasi_path_open(SANDBOX, 0, "l1", 0, R_READ, R_ALL, 0, &fd));
  T("open l1 not following, O_DIRECTORY", __wasi_path_open(SANDBOX, 0, "l1", __WASI_OFLAGS_DIRECTORY, R_READ, R_ALL, 0, &fd));
  stat_type("stat l1 follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "l1");
  stat_type("stat l1 nofollow", 0, "l1");
  T("symlink la -> lb", __wasi_path_symlink("lb", SANDBOX, "la"));
  T("symlink lb -> la", __wasi_path_symlink("la", SANDBOX, "lb"));
  T("open loop", open_at(SANDBOX, "la", 0, R_READ, 0, &fd));
  stat_type("stat loop follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "la");
  stat_type("stat loop nofollow", 0, "la");
  T("symlink dangling -> nothing", __wasi_path_symlink("nothing", SANDBOX, "dangling"));
  T("open dangling", open_at(SANDBOX, "dangling", 0, R_READ, 0, &fd));
  stat_type("stat dangling follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling");
  stat_type("stat dangling nofollow", 0, "dangling");
  T("create through dangling", open_at(SANDBOX, "dangling", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  T("mkdir d", __wasi_path_create_directory(SANDBOX, "d"));
  T("symlink ld -> d", __wasi_path_symlink("d", SANDBOX, "ld"));
  T("create ld/f", open_at(SANDBOX, "ld/f", __WASI_OFLAGS_CREAT, R_RW, 0, &fd));
  closefd(fd);
  stat_type("stat ld/ nofollow", 0, "ld/");
  T("open ld/ nofollow", __wasi_path_open(SANDBOX, 0, "ld/", __WASI_OFLAGS_DIRECTORY, R_READ, R_ALL, 0, &fd));
  closefd(fd);
  T("symlink d/up -> ../a.txt", __wasi_path_symlink("../a.txt", SANDBOX, "d/up"));
  T("open d/up", open_at(SANDBOX, "d/up", 0, R_READ, 0, &fd));
  closefd(fd);
  T("link a.txt -> hard", __wasi_path_link(SANDBOX, 0, "a.txt", SANDBOX, "hard"));
  __wasi_filestat_t st;
  T("stat hard", __wasi_path_filestat_get(SANDBOX, 0, "hard", &st));
  printf("  nlink=%llu size=%llu\n", (unsigned long long)st.nlink, (unsigned long long)st.size);
  T("unlink l1", __wasi_path_unlink_file(SANDBOX, "l1"));
  stat_type("  a.txt still there", 0, "a.txt");
  T("unlink ld (a link to a dir)", __wasi_path_unlink_file(SANDBOX, "ld"));
  /* The ways out: none may reach the host. */
  T("symlink abs -> /etc/passwd", __wasi_path_symlink("/etc/passwd", SANDBOX, "abs"));
  T("symlink out -> ../outside", __wasi_path_symlink("../outside", SANDBOX, "out"));
  T("open out", open_at(SANDBOX, "out", 0, R_READ, 0, &fd));
  T("open pre-made host-abs link", open_at(SANDBOX, "host-abs", 0, R_READ, 0, &fd));
  T("open pre-made host-abs/passwd", open_at(SANDBOX, "host-abs/passwd", 0, R_READ, 0, &fd));
  T("stat pre-made host-abs nofollow", __wasi_path_filestat_get(SANDBOX, 0, "host-abs", &st));
  T("open ..", open_at(SANDBOX, "..", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  T("open ../etc/passwd", open_at(SANDBOX, "../etc/passwd", 0, R_READ, 0, &fd));
  T("open d/../../etc/passwd", open_at(SANDBOX, "d/../../etc/passwd", 0, R_READ, 0, &fd));
  T("open /etc/passwd", open_at(SANDBOX, "/etc/passwd", 0, R_READ, 0, &fd));
  T("open d/up/.. (through a link to a file)", open_at(SANDBOX, "d/up/..", 0, R_READ, 0, &fd));
  T("mkdir ../x", __wasi_path_create_directory(SANDBOX, "../x"));
  T("unlink ../x", __wasi_path_unlink_file(SANDBOX, "../x"));
  T("rename a.txt -> ../x", __wasi_path_rename(SANDBOX, "a.txt", SANDBOX, "../x"));
  T("link a.txt -> ../x", __wasi_path_link(SANDBOX, 0, "a.txt", SANDBOX, "../x"));
  T("symlink ../x (as the link)", __wasi_path_symlink("a.txt", SANDBOX, "../x"));
  T("open d then .. from it", open_at(SANDBOX, "d", __WASI_OFLAGS_DIRECTORY, R_READ, 0, &fd));
  __wasi_fd_t fd2;
  T("  open ../a.txt below d", open_at(fd, "../a.txt", 0, R_READ, 0, &fd2));
  T("  open up (../a.txt link) below d", open_at(fd, "up", 0, R_READ, 0, &fd2));
  return 0;
}
