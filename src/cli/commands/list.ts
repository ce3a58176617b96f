import chalk from 'chalk';
import { libraryEntries } from '../../scenarios/library.js';

/** `kafkasim list`: the library's scenarios with their one-line lessons. */
export function listCommand(opts: { json?: boolean }, out: (line: string) => void): void {
  const entries = libraryEntries();
  if (opts.json) {
    for (const e of entries) out(JSON.stringify({ name: e.name, lesson: e.lesson, expects: e.expects, seed: e.scenario.seed }));
    return;
  }
  const width = Math.max(...entries.map((e) => e.name.length));
  for (const e of entries) {
    const expects = e.expects === 'none' ? chalk.green('no violation') : chalk.red(e.expects.join(', '));
    out(`${chalk.cyan(e.name.padEnd(width))}  ${e.lesson} ${chalk.dim('→')} ${expects}`);
  }
  out(chalk.dim(`\n${entries.length} scenarios. Run one: kafkasim run <name> [--seed N]`));
}
