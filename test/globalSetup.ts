import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Tests that cross a process or thread boundary (worker threads, the CLI) run the compiled
 * package, so compile it once before any test runs. tsc is incremental-free here on purpose:
 * a stale dist/ would test yesterday's code. It emits without type-checking (--noCheck):
 * `npm test` has type-checked src/ (and test/) just before, and with isolatedModules each
 * file's JavaScript is the same either way (only the order of union members in some .d.ts
 * files differs), in about 60% of the time, before any test can start.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--noCheck'], {
    cwd: root,
    stdio: 'inherit',
  });
  // The schema file `kafkasim init` points editors at, as package.json's build writes it.
  writeFileSync(`${root}dist/scenario.schema.json`, execFileSync(process.execPath, [`${root}dist/cli/main.js`, 'schema'], { cwd: root }));
  // The playground's static site (dist/playground), which the browser tests serve.
  execFileSync(process.execPath, [`${root}scripts/buildWeb.mjs`, '--quiet'], { cwd: root, stdio: 'inherit' });
}
