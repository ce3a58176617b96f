import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

// The examples import kafkasim by its package name, as a user's suite would.
const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^kafkasim\/arbitraries$/, replacement: src('scenarios/arbitraries.ts') },
      { find: /^kafkasim$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // Vitest leaves one core free by default, which on a 2-core machine runs the files one at a
    // time: one worker per core (at least two) took the suite from about 300 s to 212 s here.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
