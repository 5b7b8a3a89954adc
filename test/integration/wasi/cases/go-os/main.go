// The os package of Go's wasip1 port on a sandbox: the calls a Go program really makes.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
)

func show(label string, err error) {
	if err == nil {
		fmt.Printf("%s: ok\n", label)
		return
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	fmt.Printf("%s: %v\n", label, err)
}

func main() {
	const root = "/sandbox"
	show("mkdirall", os.MkdirAll(root+"/a/b/c", 0o755))
	show("writefile", os.WriteFile(root+"/a/b/c/f.txt", []byte("go data"), 0o644))
	data, err := os.ReadFile(root + "/a/b/c/f.txt")
	show("readfile", err)
	fmt.Printf("  %q\n", data)
	show("symlink", os.Symlink("b/c/f.txt", root+"/a/link"))
	target, err := os.Readlink(root + "/a/link")
	show("readlink", err)
	fmt.Printf("  %s\n", target)
	st, err := os.Lstat(root + "/a/link")
	show("lstat", err)
	fmt.Printf("  symlink=%v\n", st.Mode()&fs.ModeSymlink != 0)
	st, err = os.Stat(root + "/a/link")
	show("stat", err)
	fmt.Printf("  size=%d dir=%v\n", st.Size(), st.IsDir())
	entries, err := os.ReadDir(root + "/a")
	show("readdir", err)
	names := []string{}
	for _, e := range entries {
		names = append(names, fmt.Sprintf("%s:%v", e.Name(), e.IsDir()))
	}
	sort.Strings(names)
	fmt.Printf("  %s\n", strings.Join(names, " "))
	dot, err := os.Open(root)
	show("open dir", err)
	all, err := dot.Readdirnames(-1)
	show("readdirnames", err)
	sort.Strings(all)
	fmt.Printf("  %v\n", all)
	show("close dir", dot.Close())
	show("rename", os.Rename(root+"/a/b/c/f.txt", root+"/a/g.txt"))
	show("remove non-empty", os.Remove(root+"/a"))
	_, err = os.Stat(root + "/../etc/passwd")
	show("escape", err)
	_, err = os.ReadFile("/etc/passwd")
	show("outside the preopen", err)
	f, err := os.OpenFile(root+"/a/g.txt", os.O_RDWR|os.O_APPEND, 0)
	show("open append", err)
	_, err = f.WriteString("+more")
	show("append", err)
	off, err := f.Seek(0, 1)
	show("seek", err)
	fmt.Printf("  at %d\n", off)
	show("truncate", f.Truncate(3))
	show("close", f.Close())
	data, _ = os.ReadFile(root + "/a/g.txt")
	fmt.Printf("  %q\n", data)
	show("removeall", os.RemoveAll(root+"/a"))
	_, err = os.Stat(root + "/a")
	show("gone", err)
	fmt.Printf("args=%v env=%d\n", os.Args[1:], len(os.Environ()))
	os.Exit(7)
}
