import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as SweepCommands from '../../src/cli/commands/sweep.js';
import type { SweepCliOptions } from '../../src/cli/commands/sweep.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI (built by test/globalSetup.ts) as a user would, without colour. */
export function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [`${repoRoot}dist/cli/main.js`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An `out` for a CLI command function that keeps its lines, and the stdout the CLI would print from them, without colour. */
export function lineSink(): { readonly out: (line: string) => void; stdout(): string } {
  const lines: string[] = [];
  return { out: (line) => void lines.push(line), stdout: () => lines.map((l) => `${l.replace(/\u001b\[[0-9;]*m/g, '')}\n`).join('') };
}

/** Calls a CLI command function (runCommand, explainCommand, mergeCommand …) in this process: its exit code and stdout. */
export function inProcess(command: (out: (line: string) => void) => number): { code: number; stdout: string } {
  const sink = lineSink();
  const code = command(sink.out);
  return { code, stdout: sink.stdout() };
}

/**
 * `kafkasim sweep` without the CLI's process: the compiled sweepCommand (dist/, built by
 * test/globalSetup.ts) called in this process, its seeds still run in forked sweep workers
 * (dist/cli/sweepWorker.js, which the module from src/ cannot fork under Vitest). It saves a
 * process start (~0.5 s) a sweep. No progress lines (quiet).
 */
export async function sweepInProcess(file: string, opts: SweepCliOptions): Promise<{ code: number; stdout: string }> {
  const compiled = (await import(`${repoRoot}dist/cli/commands/sweep.js`)) as typeof SweepCommands;
  const sink = lineSink();
  const code = await compiled.sweepCommand(file, { ...opts, quiet: true }, sink.out);
  return { code, stdout: sink.stdout() };
}
