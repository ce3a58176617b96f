import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import chalk from 'chalk';
import { UsageError } from '../usageError.js';

/** The starter scenario, commented: src/scenarios/starter.yaml, shipped beside the compiled package. */
export const STARTER_PATH = fileURLToPath(new URL('../../../src/scenarios/starter.yaml', import.meta.url));

/**
 * The JSON Schema of scenario files, as `kafkasim schema` prints it, written into the
 * package at build time (package.json `build`), so that editors with the YAML language
 * server complete keys and show errors in the scenarios `init` writes.
 */
export const SCHEMA_PATH = fileURLToPath(new URL('../../../dist/scenario.schema.json', import.meta.url));

export interface InitCliOptions {
  readonly out?: string;
}

/** Where `init` writes when no --out is given. */
export const DEFAULT_INIT_OUT = 'scenario.yaml';

/** `kafkasim init [--out FILE]`: writes the starter scenario; never overwrites a file. */
export function initCommand(opts: InitCliOptions, out: (line: string) => void): number {
  const path = opts.out ?? DEFAULT_INIT_OUT;
  const text = `${schemaLine(path)}\n${readFileSync(STARTER_PATH, 'utf8')}`;
  try {
    // 'wx': fail if the file exists, in the same call that creates it.
    writeFileSync(path, text, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} already exists: kafkasim init does not overwrite a file; name another with --out, or remove it first`);
    throw new UsageError(`--out ${path}: ${(err as Error).message}`);
  }
  out(`${chalk.bold(path)}: a starter scenario (3 brokers, topic orders, producer p1, consumer group billing, a rolling restart and a network partition)`);
  out(`  run it:    kafkasim run ${path}`);
  out('  its keys:  docs/scenarios.md, or kafkasim schema');
  return 0;
}

/**
 * The YAML language server's modeline, naming the package's schema file by a path relative
 * to the scenario (the server resolves it from the file's folder), with forward slashes.
 */
export function schemaLine(scenarioPath: string): string {
  const rel = relative(dirname(resolve(scenarioPath)), SCHEMA_PATH).split(sep).join('/');
  return `# yaml-language-server: $schema=${rel}`;
}
