/**
 * The example functions: one folder each under examples/functions/, built from source by the tests
 * and benchmarks. Adding an example is one line here plus its folder.
 */

/** Languages with a toolchain in toolchains.ts. */
export type Language = 'c' | 'go' | 'assemblyscript';

export interface ExampleRecipe {
  readonly language: Language;
  /** The file (C, AssemblyScript) or package directory (Go) handed to the compiler, relative to the folder. */
  readonly entry: string;
  /** What the function does, for `build.ts --help` and the READMEs. */
  readonly summary: string;
  /**
   * The `flotilla:kv` binding the example uses: a folder under examples/bindings/, part of the
   * build's cache key (C and Go reach it by relative path, AssemblyScript gets its files copied).
   */
  readonly binding?: Language;
}

export const EXAMPLES = {
  echo: { language: 'c', entry: 'echo.c', summary: 'WAGI echo of method, path, query, HTTP_* headers and body; a WASI command without REQUEST_METHOD' },
  compute: { language: 'go', entry: '.', summary: 'WAGI JSON: ?n=N -> the N-th prime, and the SHA-256 of the body' },
  hello: { language: 'assemblyscript', entry: 'hello.as', summary: 'WAGI hello world, the smallest and fastest function' },
  misbehave: { language: 'c', entry: 'misbehave.c', summary: 'WAGI function that loops, allocates without bound, traps or overflows its stack on request' },
  'kv-counter': { language: 'c', entry: 'kv-counter.c', binding: 'c', summary: 'flotilla:kv: counts events per subject and idempotency key; FAIL_TIMES=N fails first attempts, SPIN=N burns time' },
  'kv-notes': { language: 'go', entry: '.', binding: 'go', summary: 'flotilla:kv: set/get/del/list commands from the request body (Go binding)' },
  'kv-visits': { language: 'assemblyscript', entry: 'kv-visits.as', binding: 'assemblyscript', summary: 'flotilla:kv: counts visits per path (AssemblyScript binding)' },
} as const satisfies Record<string, ExampleRecipe>;

export type ExampleName = keyof typeof EXAMPLES;

export const EXAMPLE_NAMES = Object.keys(EXAMPLES) as readonly ExampleName[];

export function isExampleName(name: string): name is ExampleName {
  return Object.hasOwn(EXAMPLES, name);
}
