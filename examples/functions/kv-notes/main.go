// kv-notes: a tiny command interface over the function's own key-value store (flotilla:kv), in Go.
//
// The request body (or event payload) is one command:
//
//	set <key> [ttl-seconds]\n<value>
//	get <key>
//	del <key>
//	list [prefix]
//
// Answers the value, "ok", or the keys one per line; a missing key is a 404.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"flotilla.dev/bindings/kv"
)

func answer(status int, body string) {
	fmt.Printf("Status: %d\nContent-Type: text/plain\n\n%s", status, body)
}

func main() {
	in := bufio.NewReader(os.Stdin)
	line, _ := in.ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) == 0 {
		answer(400, "expected a command: set, get, del or list\n")
		return
	}
	arg := func(i int) string {
		if i < len(fields) {
			return fields[i]
		}
		return ""
	}
	var err error
	switch fields[0] {
	case "set":
		value, _ := io.ReadAll(in)
		ttl, _ := strconv.ParseUint(arg(2), 10, 32)
		if err = kv.Set(arg(1), value, uint32(ttl)); err == nil {
			answer(200, "ok\n")
		}
	case "get":
		var v []byte
		if v, err = kv.Get(arg(1)); err == nil {
			answer(200, string(v))
		}
	case "del":
		if err = kv.Delete(arg(1)); err == nil {
			answer(200, "ok\n")
		}
	case "list":
		var keys []string
		if keys, err = kv.List(arg(1)); err == nil {
			answer(200, strings.Join(append(keys, ""), "\n"))
		}
	default:
		answer(400, "unknown command "+fields[0]+"\n")
		return
	}
	switch {
	case err == kv.ErrNotFound:
		answer(404, "not found\n")
	case err != nil:
		answer(500, err.Error()+"\n")
	}
}
