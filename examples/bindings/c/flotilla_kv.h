/*
 * flotilla_kv.h: the `flotilla:kv` host import module for C (clang --target=wasm32-wasi).
 * The function's own key-value store; docs/events.md ("State") documents the ABI.
 *
 * Every call returns a status (FLOTILLA_KV_OK = 0). get and list write into a caller buffer and
 * always store the full length in *len_out: on FLOTILLA_KV_BUFFER_TOO_SMALL, retry with that size.
 * Keys: 1..120 bytes of UTF-8, no control characters. Values: at most 65536 bytes.
 */
#ifndef FLOTILLA_KV_H
#define FLOTILLA_KV_H

#include <stddef.h>
#include <stdint.h>

#define FLOTILLA_KV_OK 0
#define FLOTILLA_KV_NOT_FOUND 1
#define FLOTILLA_KV_BUFFER_TOO_SMALL 2
#define FLOTILLA_KV_INVALID_KEY 3
#define FLOTILLA_KV_VALUE_TOO_LARGE 4
#define FLOTILLA_KV_INVALID_ARGUMENT 5
#define FLOTILLA_KV_UNAVAILABLE 6
#define FLOTILLA_KV_FAULT 7
#define FLOTILLA_KV_TOO_MANY_KEYS 8

#define FLOTILLA_KV_MAX_KEY 120
#define FLOTILLA_KV_MAX_VALUE 65536

#define FLOTILLA_KV_IMPORT(name) __attribute__((import_module("flotilla:kv"), import_name(name)))

/* Reads `key` into buf (capacity cap); *len_out gets the value's length. */
FLOTILLA_KV_IMPORT("get")
int32_t flotilla_kv_get(const char *key, size_t key_len, uint8_t *buf, size_t cap, uint32_t *len_out);

/* Stores value under key; ttl_seconds 0 keeps it until deleted. */
FLOTILLA_KV_IMPORT("set")
int32_t flotilla_kv_set(const char *key, size_t key_len, const uint8_t *value, size_t value_len, uint32_t ttl_seconds);

/* Deletes key (deleting a missing key is not an error). */
FLOTILLA_KV_IMPORT("delete")
int32_t flotilla_kv_delete(const char *key, size_t key_len);

/* Keys starting with prefix, sorted, each followed by '\n'. */
FLOTILLA_KV_IMPORT("list")
int32_t flotilla_kv_list(const char *prefix, size_t prefix_len, uint8_t *buf, size_t cap, uint32_t *len_out);

#endif
