//go:build wasip1

// Package kv is the Go binding of the `flotilla:kv` host import module (GOOS=wasip1): the
// function's own key-value store. docs/events.md ("State") documents the ABI.
package kv

import (
	"errors"
	"strings"
	"unsafe"
)

//go:wasmimport flotilla:kv get
func kvGet(key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, bufCap uint32, lenOut unsafe.Pointer) int32

//go:wasmimport flotilla:kv set
func kvSet(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, ttlSeconds uint32) int32

//go:wasmimport flotilla:kv delete
func kvDelete(key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport flotilla:kv list
func kvList(prefix unsafe.Pointer, prefixLen uint32, buf unsafe.Pointer, bufCap uint32, lenOut unsafe.Pointer) int32

// Status codes of the ABI.
const (
	ok             = 0
	notFound       = 1
	bufferTooSmall = 2
)

// ErrNotFound is returned by Get for a missing (or expired) key.
var ErrNotFound = errors.New("kv: key not found")

// Error is any other failure, with the ABI's status code.
type Error struct{ Code int32 }

var names = map[int32]string{3: "invalid key", 4: "value too large", 5: "invalid argument", 6: "store unavailable", 7: "fault", 8: "too many keys"}

func (e Error) Error() string { return "kv: " + names[e.Code] }

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func check(code int32) error {
	switch code {
	case ok:
		return nil
	case notFound:
		return ErrNotFound
	default:
		return Error{code}
	}
}

// read calls get or list, growing the buffer once when the value is larger than guessed.
func read(call func(buf []byte, lenOut *uint32) int32) ([]byte, error) {
	buf := make([]byte, 256)
	var n uint32
	code := call(buf, &n)
	if code == bufferTooSmall {
		buf = make([]byte, n)
		code = call(buf, &n)
	}
	if err := check(code); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// Get returns the value of key.
func Get(key string) ([]byte, error) {
	k := []byte(key)
	return read(func(buf []byte, lenOut *uint32) int32 {
		return kvGet(ptr(k), uint32(len(k)), ptr(buf), uint32(len(buf)), unsafe.Pointer(lenOut))
	})
}

// Set stores value under key; ttlSeconds 0 keeps it until deleted.
func Set(key string, value []byte, ttlSeconds uint32) error {
	k := []byte(key)
	return check(kvSet(ptr(k), uint32(len(k)), ptr(value), uint32(len(value)), ttlSeconds))
}

// Delete removes key.
func Delete(key string) error {
	k := []byte(key)
	return check(kvDelete(ptr(k), uint32(len(k))))
}

// List returns the keys starting with prefix, sorted.
func List(prefix string) ([]string, error) {
	p := []byte(prefix)
	out, err := read(func(buf []byte, lenOut *uint32) int32 {
		return kvList(ptr(p), uint32(len(p)), ptr(buf), uint32(len(buf)), unsafe.Pointer(lenOut))
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), nil
}
