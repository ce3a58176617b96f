#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { logDump } from './commands/logDump.js';
import { partitionKeys } from './commands/partition.js';
import { UsageError } from './usageError.js';
import { scenarioJsonSchema } from '../scenarios/schema.js';
import { ScenarioError } from '../scenarios/loader.js';
import { UnknownCheckError } from '../sim/checker.js';
import { runCommand, type RunCliOptions } from './commands/run.js';
import { listCommand } from './commands/list.js';
import { demoCommand } from './commands/demo.js';
import { reportCommand, type ReportCliOptions } from './commands/report.js';
import { semanticsCommand, type SemanticsCliOptions } from './commands/semantics.js';
import { shrinkCommand, type ShrinkCliOptions } from './commands/shrink.js';
import { ShrinkError } from '../scenarios/shrink.js';
import { explainCommand, type ExplainCliOptions } from './commands/explain.js';
import { mergeCommand, sweepCommand, type SweepCliOptions } from './commands/sweep.js';
import { SweepInputError } from '../scenarios/sweep.js';
import { versionsCommand, type VersionsCliOptions } from './commands/versions.js';
import { stateCommand, type StateCliOptions } from './commands/state.js';
import { initCommand, type InitCliOptions } from './commands/init.js';
import { playCommand, type PlayCliOptions } from './commands/play.js';
import { glossaryLines } from './commands/glossary.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Exit codes: 0 ok, 1 a violation was found or an expectation was not met, 2 bad input or usage. */
export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command();
  program
    .name('kafkasim')
    .description('A deterministic simulator of an Apache Kafka cluster')
    .version(pkg.version, '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(chalk.red(text)) });

  program
    .command('demo')
    .description('run the demo: a lesson and its fixed twin, side by side')
    .option('--seed <n>', "override the scenarios' seeds")
    .action((opts: { seed?: string }) => demoCommand(opts, (line) => console.log(line)));
  const log = program.command('log').description('inspect log segments');
  log
    .command('dump')
    .description('print the batches and records of a segment file, or of every segment in a partition directory')
    .argument('<path>', 'a .log file or a partition directory')
    .option('--json', 'one JSON object per batch per line')
    .action((path: string, opts: { json?: boolean }) => logDump(path, opts, (line) => console.log(line)));

  program
    .command('partition')
    .description("print the partition of each key under Kafka's default partitioner (murmur2)")
    .argument('<key...>', 'keys, as UTF-8 text')
    .requiredOption('--partitions <n>', 'number of partitions')
    .option('--json', 'one JSON object per key')
    .action((keys: string[], opts: { partitions: string; json?: boolean }) => partitionKeys(keys, opts, (line) => console.log(line)));
  program
    .command('run')
    .description('run a scenario (a file, or a library scenario by name) and judge it')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seed <n>', "override the scenario's seed")
    .option('--json', 'print one JSON object')
    .option('--trace <file>', 'write every trace record to a JSONL file')
    .option('--checks <list>', 'comma-separated checks to run')
    .option('--no-online-checks', 'skip the TLA+ replication invariants checked at every replication event (faster)')
    .option('--strict-faults', "exit 2 when a fault of the scenario's own did nothing (a restart of a running broker, a target that resolved to no node)")
    .option('--keep-logs <dir>', "write every broker's log files (segments, indexes, checkpoints) as the run left them under <dir>/<broker>/, for kafkasim log dump")
    .action((scenario: string, opts: RunCliOptions) => {
      process.exitCode = runCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('explain')
    .description("narrate a violation's causal chain: the records, the replicas that had them, the faults that mattered")
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seed <n>', "override the scenario's seed")
    .option('--violation <n>', 'which violation of the run to explain (1 = the first)')
    .option('--message <id>', 'instead, the life of one message, such as p1#3585: sent, appended, replicated, acknowledged, truncated, read, committed')
    .option('--json', 'print one JSON object')
    .action((scenario: string, opts: ExplainCliOptions) => {
      process.exitCode = explainCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('state')
    .description('the cluster at a moment of a run: leaders, ISRs, offsets, nodes, clients, groups, transactions; or a row per step')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seed <n>', "override the scenario's seed")
    .option('--at <time>', 'the moment, such as 12s or 12500ms')
    .option('--every <step>', 'a row every step, such as 1s')
    .option('--from <time>', 'with --every: the first row (default: one step in)')
    .option('--to <time>', "with --every: the last row (default: the run's end)")
    .option('--json', 'print JSON: one object, or with --every an array')
    .action((scenario: string, opts: StateCliOptions) => {
      process.exitCode = stateCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('play')
    .description('serve the playground (the engine in your browser: lessons, time, faults by hand) on localhost')
    .option('--port <n>', 'the port (default 8080; 0 picks a free one)')
    .option('--open', 'open it in the default browser')
    .action(async (opts: PlayCliOptions) => {
      process.exitCode = await playCommand(opts, (line) => console.log(line));
    });

  program
    .command('shrink')
    .description('shrink a failing run to a smaller scenario that still fails the same way')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seed <n>', "the failing seed (default: the scenario's own)")
    .option('--kind <kind>', 'the violation kind to keep (default: the first found)')
    .option('--out <file>', 'write the minimal scenario here (default: print it)')
    .option('--json', 'print one JSON object')
    .action((scenario: string, opts: ShrinkCliOptions) => {
      process.exitCode = shrinkCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('semantics')
    .description('the delivery-semantics matrix: configurations x fault families, computed over seeds')
    .option('--seeds <n>', 'seeds per cell', '5')
    .option('--out <file>', 'where to write the Markdown report', 'reports/semantics.md')
    .option('--json', 'print one JSON object')
    .action((opts: SemanticsCliOptions) => {
      process.exitCode = semanticsCommand(opts, (line) => console.log(line));
    });

  program
    .command('report')
    .description('write a self-contained HTML report of a run: space-time diagram, timelines, replicas')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seed <n>', "override the scenario's seed")
    .option('--out <file>', 'where to write the HTML (default: reports/<scenario>-seed<N>.html)')
    .action((scenario: string, opts: ReportCliOptions) => {
      process.exitCode = reportCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('sweep')
    .description('run many seeds of a scenario in parallel and count violations by kind')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seeds <range>', 'seeds to run, such as 1..1000 or 1..10,20', '1..100')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--shard <i/n>', 'run only the i-th of n disjoint slices of the seeds')
    .option('--json', 'print one JSON object')
    .option('--stop-on-first', 'start no seed after the first that finds a violation')
    .option('--no-online-checks', 'skip the online TLA+ invariants (faster)')
    .option('--quiet', 'no progress on stderr (shown otherwise, as a bar on a terminal, else a line at each tenth of the seeds)')
    .action(async (scenario: string, opts: SweepCliOptions) => {
      process.exitCode = await sweepCommand(scenario, opts, (line) => console.log(line));
    });

  program
    .command('versions')
    .description('run a scenario under every modelled Kafka release: which releases show which violations')
    .argument('<scenario>', 'a scenario file or a library name')
    .option('--seeds <range>', 'seeds to run on each release, such as 1..10', '1..3')
    .option('--releases <list>', 'release lines to run, such as 2.4,2.5 (default: every modelled one)')
    .option('--json', 'print one JSON object')
    .action((scenario: string, opts: VersionsCliOptions) => {
      const progress = process.stderr.isTTY ? (line: string): void => void process.stderr.write(`\r${line.padEnd(40)}`) : undefined;
      process.exitCode = versionsCommand(scenario, opts, (line) => console.log(line), progress);
      if (progress !== undefined) process.stderr.write(`\r${''.padEnd(40)}\r`);
    });

  program
    .command('merge')
    .description('join the --json results of sweep shards into one')
    .argument('<files...>', 'files holding the output of kafkasim sweep --json')
    .option('--json', 'print one JSON object')
    .action((files: string[], opts: { json?: boolean }) => {
      process.exitCode = mergeCommand(files, opts, (line) => console.log(line));
    });

  program
    .command('list')
    .description("list the library's scenarios, one lesson each")
    .option('--json', 'one JSON object per scenario')
    .action((opts: { json?: boolean }) => listCommand(opts, (line) => console.log(line)));

  program
    .command('init')
    .description('write a commented starter scenario (3 brokers, a producer, a consumer group, a rolling restart, a partition); never overwrites')
    .option('--out <file>', 'where to write it (default: scenario.yaml)')
    .action((opts: InitCliOptions) => {
      process.exitCode = initCommand(opts, (line) => console.log(line));
    });

  program
    .command('glossary [term]')
    .description('the words the output uses (ISR, ELR, high watermark, log end, leader epoch, committed, acknowledged, indeterminate, p1#N@O, "up to N"), as docs/glossary.md defines them')
    .addHelpText('after', () => `\n${glossaryLines().join('\n')}`)
    .action((term: string | undefined) => {
      for (const line of glossaryLines(term)) console.log(line);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(() => console.log(JSON.stringify(scenarioJsonSchema(), null, 2)));
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? EXIT_OK : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof UsageError || err instanceof ScenarioError || err instanceof UnknownCheckError || err instanceof SweepInputError || err instanceof ShrinkError) {
      console.error(chalk.red(`error: ${err.message}`));
      return EXIT_USAGE;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
