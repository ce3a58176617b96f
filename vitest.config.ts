import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

// The examples import kafkasim by its package name, as a user's suite would.
const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const resolve = {
  alias: [
    { find: /^kafkasim\/arbitraries$/, replacement: src('scenarios/arbitraries.ts') },
    { find: /^kafkasim$/, replacement: src('index.ts') },
  ],
};
const timeouts = { testTimeout: 60_000, hookTimeout: 120_000 };
const include = ['test/**/*.test.ts', 'examples/**/*.test.ts'];
/**
 * Files that replace a module with vi.mock. A worker that is not isolated keeps its module
 * registry and its mocker from one file to the next, so such a file runs in a fresh module
 * registry of its own (vi.spyOn is safe either way: Vitest restores every spy after each file).
 */
const mocking = ['test/cli/explain.test.ts'];

const projects: TestProjectInlineConfiguration[] = [
  // Each worker imports (and V8 compiles and warms up) the simulator once for all the files it
  // runs, instead of once per file: on 2 cores the suite took 253 s instead of 395 s. The
  // simulator keeps no state between runs outside its memo caches, whose values depend only on
  // their keys.
  { resolve, test: { name: 'shared', include, exclude: [...configDefaults.exclude, ...mocking], isolate: false, ...timeouts } },
  { resolve, test: { name: 'isolated', include: mocking, ...timeouts } },
];

export default defineConfig({
  test: {
    // Compiles dist/ once for the whole run (both projects).
    globalSetup: ['test/globalSetup.ts'],
    // Vitest leaves one core free by default, which on a 2-core machine runs the files one at a
    // time: one worker per core (at least two) took the suite from about 300 s to 212 s here.
    maxWorkers: Math.max(2, availableParallelism()),
    projects,
  },
});
