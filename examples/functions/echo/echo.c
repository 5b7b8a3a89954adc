/*
 * echo: a WAGI function that answers with what it was asked.
 *
 * WAGI (CGI over WASI): the request body arrives on stdin, the request line and headers as CGI
 * variables in the environment, and the response goes to stdout as header lines, a blank line,
 * then the body. Without REQUEST_METHOD it behaves as a plain WASI command, so `flotilla run`
 * can be tested on the same module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *env_or_empty(const char *name) {
  const char *value = getenv(name);
  return value ? value : "";
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies stdin to stdout unchanged (binary safe) and returns the byte count. */
static size_t copy_body(void) {
  char buffer[4096];
  size_t total = 0;
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    fwrite(buffer, 1, n, stdout);
    total += n;
  }
  return total;
}

/*
 * Prints the variables starting with `prefix` (and a value) as "<label>: NAME=value", sorted, so the
 * output does not depend on the host's env order.
 */
static void print_vars(const char *prefix, const char *label) {
  size_t len = strlen(prefix);
  size_t count = 0;
  for (char **e = environ; *e; e++) {
    if (strncmp(*e, prefix, len) == 0 && strchr(*e, '=')[1] != '\0') count++;
  }
  if (count == 0) return;
  const char **vars = malloc(count * sizeof *vars);
  if (!vars) return;
  size_t i = 0;
  for (char **e = environ; *e; e++) {
    if (strncmp(*e, prefix, len) == 0 && strchr(*e, '=')[1] != '\0') vars[i++] = *e;
  }
  qsort(vars, count, sizeof *vars, compare_strings);
  for (i = 0; i < count; i++) printf("%s: %s\n", label, vars[i]);
  free(vars);
}

static int serve_request(const char *method) {
  fputs("Content-Type: text/plain\nStatus: 200\n\n", stdout);
  printf("method: %s\n", method);
  printf("path: %s\n", env_or_empty("PATH_INFO"));
  printf("query: %s\n", env_or_empty("QUERY_STRING"));
  print_vars("HTTP_", "header");
  /* The caller a route's authentication admitted (AUTH_TYPE, the route's AUTH_* claims, REMOTE_USER). */
  print_vars("AUTH_", "auth");
  print_vars("REMOTE_USER", "auth");
  fputs("body:\n", stdout);
  copy_body();
  return 0;
}

static int run_command(int argc, char **argv) {
  size_t env_count = 0;
  for (char **e = environ; *e; e++) env_count++;
  printf("args: %d\n", argc);
  for (int i = 0; i < argc; i++) printf("arg[%d]: %s\n", i, argv[i]);
  printf("env: %zu\n", env_count);
  return 0;
}

int main(int argc, char **argv) {
  const char *method = getenv("REQUEST_METHOD");
  if (method) return serve_request(method);
  return run_command(argc, argv);
}
