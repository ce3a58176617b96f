import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

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
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
