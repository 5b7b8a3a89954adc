/*
 * kv-counter: counts events per subject in the function's own key-value store (flotilla:kv).
 *
 * Each invocation increments "count/<subject>" (subject: the CloudEvents subject HTTP_CE_SUBJECT,
 * else PATH_INFO) and answers "count=<n>". Granted env FAIL_TIMES=N makes each event fail its first
 * N attempts (counted under "attempts/<idempotency key>"), to exercise retries; SPIN=N burns N
 * million loop iterations first, to exercise a node dying mid-event. On success it also counts
 * "done/<idempotency key>", so a test can see that an event was processed exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../bindings/c/flotilla_kv.h"

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* Increments the decimal counter under key and returns the new value, or -1 on a store error. */
static long increment(const char *key) {
  char buf[32];
  uint32_t len = 0;
  long n = 0;
  int32_t rc = flotilla_kv_get(key, strlen(key), (uint8_t *)buf, sizeof buf - 1, &len);
  if (rc == FLOTILLA_KV_OK) {
    buf[len] = 0;
    n = strtol(buf, NULL, 10);
  } else if (rc != FLOTILLA_KV_NOT_FOUND) {
    return -1;
  }
  n++;
  int w = snprintf(buf, sizeof buf, "%ld", n);
  if (flotilla_kv_set(key, strlen(key), (const uint8_t *)buf, (size_t)w, 0) != FLOTILLA_KV_OK) return -1;
  return n;
}

static int fail(const char *why) {
  printf("Status: 500\nContent-Type: text/plain\n\n%s\n", why);
  return 0;
}

int main(void) {
  char key[FLOTILLA_KV_MAX_KEY + 1];
  const char *idem = env_or("HTTP_IDEMPOTENCY_KEY", "none");
  long spin = strtol(env_or("SPIN", "0"), NULL, 10);
  volatile unsigned long sink = 0;
  for (long i = 0; i < spin * 1000000L; i++) sink = sink + (unsigned long)i;
  (void)sink;

  long fail_times = strtol(env_or("FAIL_TIMES", "0"), NULL, 10);
  if (fail_times > 0) {
    snprintf(key, sizeof key, "attempts/%.100s", idem);
    long attempt = increment(key);
    if (attempt < 0) return fail("state store unavailable");
    if (attempt <= fail_times) {
      char why[96];
      snprintf(why, sizeof why, "failing attempt %ld of %ld on purpose", attempt, fail_times);
      return fail(why);
    }
  }
  snprintf(key, sizeof key, "count/%.100s", env_or("HTTP_CE_SUBJECT", env_or("PATH_INFO", "/")));
  long count = increment(key);
  snprintf(key, sizeof key, "done/%.100s", idem);
  long done = increment(key);
  if (count < 0 || done < 0) return fail("state store unavailable");
  printf("Content-Type: text/plain\n\ncount=%ld\ndone=%ld\n", count, done);
  return 0;
}
