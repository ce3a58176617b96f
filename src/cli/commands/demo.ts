import chalk from 'chalk';
import { libraryPath } from '../../scenarios/library.js';
import { loadScenario } from '../../scenarios/loader.js';
import { runScenario } from '../../scenarios/runner.js';

/** The lesson and its fixed twin, run side by side. */
const PAIR = ['acks1-leader-failover', 'acks-all-leader-failover'] as const;

/**
 * `kafkasim demo` (what `npm start` runs): the same leader crash under acks=1, which loses
 * acknowledged writes, and under acks=all with min.insync.replicas=2, which does not, with
 * the lesson of each and the commands to dig deeper. The output has no wall-clock figures,
 * so two runs print the same bytes.
 */
export function demoCommand(opts: { seed?: string }, out: (line: string) => void): void {
  out(chalk.bold('kafkasim demo: one leader crash, two producer configurations'));
  out('');
  const fingerprints: string[] = [];
  for (const name of PAIR) {
    const scenario = loadScenario(libraryPath(name) as string);
    const seed = opts.seed === undefined ? scenario.seed : Number(opts.seed);
    const r = runScenario(scenario, { seed });
    const config = scenario.clients.find((c) => c.type === 'producer')?.config;
    out(`${chalk.cyan(name)}  ${chalk.dim(`acks=${config?.acks}, min.insync.replicas=${scenario.cluster.config['min.insync.replicas']}, enable.idempotence=${config?.['enable.idempotence']}, seed ${seed}`)}`);
    out(`  ${wrap(scenario.description, 88).join('\n  ')}`);
    out(`  ${r.stats.produced} sends, ${r.stats.acked} acknowledged, ${r.stats.failed} failed, ${r.stats.indeterminate} indeterminate, over ${(r.stats.simulatedMs / 1000).toFixed(0)} simulated s`);
    if (r.violations.length === 0) out(`  ${chalk.green('✓ no violations: every acknowledged message is in the committed log, once, in order')}`);
    for (const v of r.violations) out(`  ${chalk.red(`✗ ${v.kind}`)}: ${v.message}`);
    out('');
    fingerprints.push(r.fingerprint);
  }
  out(`Both runs are deterministic (fingerprints ${fingerprints.join(' and ')}): run the demo again and every byte is the same.`);
  out('');
  out(chalk.bold('Dig deeper:'));
  const lines: [string, string][] = [
    [`kafkasim explain ${PAIR[0]}`, 'the lost writes\' causal chain, in plain sentences'],
    [`kafkasim report ${PAIR[0]}`, 'an HTML page: space-time diagram, timeline, replicas'],
    [`kafkasim state ${PAIR[0]} --at 14.05s`, 'the cluster just after the new leader took over: leaders, epochs, ISRs, offsets, who is down'],
    [`kafkasim run ${PAIR[0]}`, 'the run, with Kafka\'s metrics around each fault'],
    [`kafkasim sweep ${PAIR[0]} --seeds 1..50`, 'how often it happens, over seeds'],
    [`kafkasim shrink ${PAIR[0]}`, 'the smallest scenario that still loses writes'],
    ['kafkasim semantics', 'every producer, consumer and transactional configuration against every fault family'],
    ['kafkasim explain consumer-commit-before-crash', 'at-most-once: a commit before processing, a crash, records nobody processed'],
    ['kafkasim explain eos-kip890-off', 'a late write from an aborted transaction, committed by the next one (KIP-890)'],
    ['kafkasim versions kip101-hw-truncation', 'the same scenario on every Kafka release: 0.10 loses writes, 0.11 does not'],
    ['kafkasim play --open', 'the playground in your browser: play a lesson, scrub, crash a broker yourself'],
    ['kafkasim list', 'every lesson in the library'],
  ];
  const width = Math.max(...lines.map(([c]) => c.length));
  for (const [command, what] of lines) out(`  ${chalk.cyan(command.padEnd(width))}  ${what}`);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
