/*
 * misbehave: a WAGI function that fails on request, to prove the runtime survives it.
 *
 *   ?mode=ok     a normal answer
 *   ?mode=loop   never returns (the runtime must stop it at its timeout)
 *   ?mode=alloc  mallocs 1 MiB chunks until malloc fails, then reports how far it got
 *                (the runtime's memory cap makes memory.grow fail)
 *   ?mode=trap   executes `unreachable`
 *   ?mode=stack  recurses until the shadow stack runs below address 0 and traps
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (1024 * 1024)

static void respond(const char *status, const char *body) {
  printf("Content-Type: text/plain\nStatus: %s\n\n%s\n", status, body);
}

/* The value of `key` in an application/x-www-form-urlencoded query, copied into `out`. */
static int query_param(const char *query, const char *key, char *out, size_t out_size) {
  size_t key_len = strlen(key);
  const char *p = query;
  while (p && *p) {
    const char *end = strchr(p, '&');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
      size_t value_len = len - key_len - 1;
      if (value_len >= out_size) value_len = out_size - 1;
      memcpy(out, p + key_len + 1, value_len);
      out[value_len] = '\0';
      return 1;
    }
    p = end ? end + 1 : NULL;
  }
  return 0;
}

static void loop_forever(void) {
  /* volatile keeps the compiler from proving the loop has no effect and removing it. */
  volatile unsigned long spins = 0;
  for (;;) spins++;
}

static void alloc_until_failure(void) {
  size_t chunks = 0;
  for (;;) {
    /* volatile: at -O2 clang may drop a malloc whose block is never read and assume it succeeded,
     * turning this into an endless loop that never calls memory.grow. Storing the pointer in a
     * volatile and touching every page of the block keeps each allocation real. */
    char *volatile chunk = malloc(CHUNK_BYTES);
    if (!chunk) break;
    for (size_t i = 0; i < CHUNK_BYTES; i += 4096) chunk[i] = (char)i;
    chunks++;
  }
  printf("Content-Type: text/plain\nStatus: 200\n\nalloc: malloc failed after %zu MiB\n", chunks);
}

/* A real frame on the shadow stack each call; the addition after the call prevents a tail call. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static int recurse(int depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  return recurse(depth + 1) + frame[0];
}
#pragma clang diagnostic pop

int main(void) {
  const char *query = getenv("QUERY_STRING");
  char mode[32] = "ok";
  if (query) query_param(query, "mode", mode, sizeof mode);

  if (strcmp(mode, "ok") == 0) {
    respond("200", "ok");
  } else if (strcmp(mode, "loop") == 0) {
    loop_forever();
  } else if (strcmp(mode, "alloc") == 0) {
    alloc_until_failure();
  } else if (strcmp(mode, "trap") == 0) {
    __builtin_trap();
  } else if (strcmp(mode, "stack") == 0) {
    printf("%d\n", recurse(0));
  } else {
    respond("400", "unknown mode: expected ok, loop, alloc, trap or stack");
  }
  return 0;
}
