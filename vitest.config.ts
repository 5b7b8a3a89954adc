import { defineConfig } from 'vitest/config';
import { ClosingLineReporter } from './test/reporters/closing-line.ts';

// Three tiers (docs/architecture.md, "Tests"): unit tests sit next to the code; integration and
// e2e tests live under test/ and talk to the real servers the harness starts.
const SOURCE_DIRS = ['api', 'constructs', 'artifacts', 'operator', 'node-runtime', 'clusters', 'policies', 'cli', 'kube', 'examples', 'bench', 'devenv', 'test/harness', 'test/reporters'];

export default defineConfig({
  test: {
    reporters: ['default', new ClosingLineReporter()],
    projects: [
      {
        test: {
          name: 'unit',
          include: SOURCE_DIRS.map((d) => `${d}/**/*.test.ts`),
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Tests share one set of servers and isolate by namespace / repository name; two cores.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
