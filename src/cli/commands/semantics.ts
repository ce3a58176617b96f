import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import chalk from 'chalk';
import { COLUMNS, ROWS, WHY, semanticsMatrix, type Cell, type Row } from '../../scenarios/semantics.js';
import { UsageError } from '../usageError.js';

export interface SemanticsCliOptions {
  readonly seeds?: string;
  readonly json?: boolean;
  readonly out?: string;
}

/** `kafkasim semantics`: the delivery-semantics matrix, computed; also written as Markdown. */
export function semanticsCommand(opts: SemanticsCliOptions, out: (line: string) => void): number {
  const seeds = Number(opts.seeds ?? 5);
  if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a whole number of at least 1, got "${opts.seeds}"`);
  const cells = semanticsMatrix(seeds);
  const markdown = renderMarkdown(cells, seeds);
  const path = opts.out ?? 'reports/semantics.md';
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, markdown);
  } catch (err) {
    throw new UsageError(`--out ${path}: ${(err as Error).message}`);
  }
  const bad = cells.filter((c) => c.unexpected.length > 0);
  if (opts.json) {
    out(JSON.stringify({ seeds, rows: ROWS.map((r) => r.name), columns: COLUMNS.map((c) => c.name), cells }));
    return bad.length === 0 ? 0 : 1;
  }
  for (const line of matrixLines(cells, seeds)) out(line);
  for (const line of explanations(cells)) out(line);
  out(chalk.dim(`written to ${path}`));
  return bad.length === 0 ? 0 : 1;
}

/** The matrix as the terminal shows it: a header wherever rows count other things, and each row's settings. */
export function matrixLines(cells: readonly Cell[], seeds: number): string[] {
  const lines = [chalk.bold(`Delivery semantics over ${seeds} seed${seeds === 1 ? '' : 's'} per cell`)];
  const width = Math.max(...ROWS.map((r) => r.name.length));
  let counted = '';
  for (const row of ROWS) {
    if (countsOf(row) !== counted) {
      counted = countsOf(row);
      lines.push(chalk.dim(`${counted}:`), `${''.padEnd(width)}  ${COLUMNS.map((c) => c.name.padEnd(20)).join('')}`);
    }
    const line = COLUMNS.map((col) => {
      const c = cells.find((x) => x.row === row.name && x.column === col.name) as Cell;
      if (!c.applicable) return chalk.dim('n/a'.padEnd(20));
      const text = `${c.lost} / ${c.duplicated} / ${c.reordered}`.padEnd(20);
      return c.unexpected.length > 0 ? chalk.red(text) : c.lost + c.duplicated + c.reordered > 0 ? chalk.yellow(text) : chalk.green(text);
    });
    lines.push(`${row.name.padEnd(width)}  ${line.join('')}`);
  }
  lines.push(chalk.dim('green: nothing happened; yellow: what the textbook says may happen, happened; red: something the textbook rules out'), chalk.dim('settings of each row:'));
  for (const row of ROWS) lines.push(chalk.dim(`  ${row.name}: ${settingsOf(row)}`));
  return lines;
}

function explanations(cells: readonly Cell[]): string[] {
  const lines: string[] = [];
  for (const c of cells) {
    for (const e of c.unexpected) lines.push(`${chalk.red('✗')} ${c.row} / ${c.column}: ${e} messages, which this configuration should rule out: a bug to explain (kafkasim sweep, explain)`);
    for (const e of c.notSeen) lines.push(`· ${c.row} / ${c.column}: ${e} is possible (${WHY[c.row]?.[e] ?? 'see the lesson'}) but no seed showed it`);
  }
  return lines;
}

function renderMarkdown(cells: readonly Cell[], seeds: number): string {
  const head = `| configuration | ${COLUMNS.map((c) => c.name).join(' | ')} |\n|---|${COLUMNS.map(() => '---').join('|')}|`;
  const rows = ROWS.map((row) => {
    const values = COLUMNS.map((col) => {
      const c = cells.find((x) => x.row === row.name && x.column === col.name) as Cell;
      if (!c.applicable) return 'n/a';
      const text = `${c.lost} / ${c.duplicated} / ${c.reordered}`;
      return c.unexpected.length > 0 ? `**${text}** ✗` : text;
    });
    return `| ${row.name} | ${values.join(' | ')} |`;
  });
  const notes = explanations(cells).map((l) => `- ${l.replace(/\u001b\[[0-9;]*m/g, '').replace(/^· /, '')}`);
  return [
    '# Delivery semantics, computed',
    '',
    `\`kafkasim semantics --seeds ${seeds}\`: each cell runs ${seeds} seed${seeds === 1 ? '' : 's'} of one producer (500 msg/s, 5 requests in flight, request.timeout.ms 3000) on a 3-broker cluster, RF 3, unclean election off, and counts messages lost / duplicated / reordered in the committed log. Columns: no fault; the leader crashes at 4 s and restarts at 8 s; the leader is cut off from every other node (the producer too) from 4 s to 10 s; the leader pauses for 12 s (longer than broker.session.timeout.ms: a zombie); each broker is shut down (a controlled shutdown) and restarted in turn, two seconds down each, from 4 s (a rolling restart); each member of a consumer group crashes in turn (at 9 s and 14 s) and restarts 2 s later. The consumer rows add a two-member group (max.poll.records 50, 1–3 ms per record) behind an idempotent producer and count what it processed: skipped records as lost, records processed again as duplicated. The exactly-once row runs a two-instance transactional processor (orders → receipts, 50 records a transaction) and counts, as read_committed sees the output, inputs with no output as lost and extra outputs as duplicated.`,
    '',
    head,
    ...rows,
    '',
    ...notes,
    '',
  ].join('\n');
}

/** What a row's three numbers count: a producer's messages, a group's records, a processor's inputs and outputs. */
function countsOf(row: Row): string {
  if (row.transactional === true) return 'exactly-once row: inputs with no committed output / extra outputs / reordered, as read_committed sees the output';
  if (row.consumer !== undefined) return 'consumer rows: records skipped / processed again / read out of order, by the group';
  return 'producer rows: messages lost / duplicated / reordered in the committed log';
}

/** The row's settings in Kafka's names: "acks=all, enable.idempotence=true, min.insync.replicas=2". */
function settingsOf(row: Row): string {
  const parts = [`acks=${String(row.producer.acks)}`, `enable.idempotence=${String(row.producer['enable.idempotence'])}`, `min.insync.replicas=${row.minInsyncReplicas}`];
  if (row.consumer !== undefined) parts.push(`consumer processing ${row.consumer}`);
  if (row.transactional === true) parts.push('a transactional consume-transform-produce processor, read_committed');
  return parts.join(', ');
}
