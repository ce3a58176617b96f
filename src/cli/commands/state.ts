import chalk from 'chalk';
import { loadScenario } from '../../scenarios/loader.js';
import { watchRun, type ClusterState, type NodeAtMoment, type PartitionAtMoment, type ReplicaAtMoment } from '../../scenarios/clusterState.js';
import { DurationSyntaxError, formatDuration, formatTime, parseDuration, time, type Time } from '../../sim/time.js';
import { UsageError } from '../usageError.js';
import { parseSeedOption, resolveScenario } from './run.js';

export interface StateCliOptions {
  readonly seed?: string;
  readonly at?: string;
  readonly every?: string;
  readonly from?: string;
  readonly to?: string;
  readonly json?: boolean;
}

/**
 * `kafkasim state <scenario> --at 12s`: the cluster at one moment of a run (partitions,
 * nodes, clients, groups, transactions, what happened just before); `--every 1s`: a row per
 * step. The run stops at each moment and goes on unchanged.
 */
export function stateCommand(nameOrPath: string, opts: StateCliOptions, out: (line: string) => void): number {
  if ((opts.at === undefined) === (opts.every === undefined)) throw new UsageError('state needs one of --at <time> (the cluster at a moment) or --every <step> (a row per step)');
  if (opts.at !== undefined && (opts.from !== undefined || opts.to !== undefined)) throw new UsageError('--from and --to go with --every, not --at');
  const scenario = loadScenario(resolveScenario(nameOrPath));
  const watched = watchRun(scenario, { seed: parseSeedOption(opts.seed) });
  const end = watched.run.end;
  const endText = `the run's end at ${formatTime(end)} (duration ${formatDuration(scenario.duration)} + drain ${formatDuration(scenario.drain)}${end > scenario.duration + scenario.drain ? ' + the quiesce of a run with transactions' : ''})`;
  if (opts.at !== undefined) {
    const at = moment('--at', opts.at, end, endText);
    const state = watched.stateAt(at);
    if (opts.json) out(JSON.stringify(state));
    else for (const line of renderState(state)) out(line);
    return 0;
  }
  const step = parseOption('--every', opts.every as string);
  if (step <= 0) throw new UsageError(`--every must be longer than 0, got "${opts.every}"`);
  const from = opts.from === undefined ? time(step) : moment('--from', opts.from, end, endText);
  const to = opts.to === undefined ? end : moment('--to', opts.to, end, endText);
  if (to < from) throw new UsageError(`--to (${formatTime(to)}) is before --from (${formatTime(from)})`);
  const states: ClusterState[] = [];
  for (let t = from; t <= to; t = time(t + step)) states.push(watched.stateAt(t));
  if (opts.json) out(JSON.stringify(states));
  else for (const line of renderRows(states)) out(line);
  return 0;
}

function parseOption(name: string, text: string): number {
  if (/^\s*-/.test(text)) throw new UsageError(`${name} must not be negative, got "${text}"`);
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof DurationSyntaxError) throw new UsageError(`${name} ${err.message}`);
    throw err;
  }
}

/** A moment of the run given as an option: a duration from the start, within the run. */
function moment(name: string, text: string, end: Time, endText: string): Time {
  const at = parseOption(name, text);
  if (at > end) throw new UsageError(`${name} ${text} is after ${endText}`);
  return time(at);
}

// ------------------------------------------------------------------ one moment

/** The cluster at a moment, as lines of text. */
export function renderState(s: ClusterState): string[] {
  const lines = [chalk.bold(`${s.scenario} (seed ${s.seed}, Kafka ${s.release}) at t=${formatTime(s.atMs * 1000)}${s.phase === 'run' ? '' : ` (${s.phase === 'drain' ? 'the drain: faults stopped, everything healed and restarted' : 'the quiesce: clients paused'})`}`)];
  lines.push(`controllers: ${s.controllers.map((c) => `${nodeText(c)}${c.active ? ', active' : ''}`).join(' · ')}`);
  lines.push(`brokers: ${s.brokers.map((b) => `${nodeText(b)}${b.fenced === true ? ', fenced' : ''}${b.inControlledShutdown === true ? ', in controlled shutdown' : ''}`).join(' · ')}`);
  lines.push('partitions (per replica: log start / high watermark / log end):');
  lines.push(...table(['partition', 'leader', 'epoch', 'ISR', ...(s.partitions.some((p) => p.elr !== undefined) ? ['ELR'] : []), 'replicas'], s.partitions.map(partitionCells)).map((l) => `  ${l}`));
  if (s.producers.length > 0) {
    lines.push('producers (batches in flight / waiting):');
    for (const p of s.producers) lines.push(`  ${p.node} ${p.state}${p.partitions.length === 0 ? ': nothing unfinished' : `: ${p.partitions.map((x) => `${x.partition} ${x.inFlight}/${x.waiting}`).join(', ')}`}${p.blockedOnMetadata > 0 ? `; ${p.blockedOnMetadata} sends waiting for metadata` : ''}`);
  }
  for (const g of s.groups) {
    lines.push(`group ${g.group}: coordinator ${g.coordinator === null ? 'none' : `broker-${g.coordinator}`}${g.state === undefined ? ' (not loaded)' : `, ${g.state}, generation ${g.generation}`}${g.leader === undefined ? '' : `, leader ${g.leader}`}`);
    for (const m of g.members) lines.push(`  member ${m.memberId} (${m.clientId}): ${m.assignment.length === 0 ? 'nothing assigned' : m.assignment.join(', ')}`);
    lines.push(`  committed (lag): ${g.offsets.map((o) => `${o.partition} ${o.committed ?? '-'} (${o.lag ?? '?'})`).join(', ')}`);
  }
  for (const c of s.consumers) {
    lines.push(`  ${c.node} ${c.state}${c.joinState === undefined ? '' : `, ${c.joinState}, generation ${c.generation}, positions ${c.positions?.map((p) => `${p.partition}@${p.offset}`).join(', ') || 'none'}`}`);
  }
  if (s.transactions.length > 0) {
    lines.push('open transactions:');
    for (const t of s.transactions) lines.push(`  ${t.transactionalId} (producer ${t.producerId}, epoch ${t.producerEpoch}) ${t.state} on broker-${t.coordinator}: ${t.partitions.join(', ') || 'no partitions yet'}`);
  }
  lines.push('just before:');
  if (s.recent.length === 0) lines.push(chalk.dim('  nothing of note yet'));
  for (const e of s.recent) lines.push(`  t=${formatTime(e.atMs * 1000).padStart(8)}  ${e.text}`);
  return lines;
}

function nodeText(n: NodeAtMoment): string {
  const state = n.state === 'paused' ? `paused until t=${formatTime((n.pausedUntilMs ?? 0) * 1000)}` : n.state;
  return `${n.node} ${n.state === 'up' ? state : chalk.red(state)}${n.cutOffFrom.length === 0 ? '' : chalk.magenta(`, cut off from ${n.cutOffFrom.join(', ')}`)}`;
}

function partitionCells(p: PartitionAtMoment): string[] {
  const leader = p.leader === null ? chalk.red(`none${p.noLeaderSinceMs === undefined ? '' : ` since t=${formatTime(p.noLeaderSinceMs * 1000)}`}`) : `broker-${p.leader}`;
  return [p.name, `${leader}${p.source === 'replicas' ? ' (no active controller: as its replicas claim)' : ''}`, String(p.leaderEpoch), `[${p.isr.join(',')}]`, ...(p.elr === undefined ? [] : [`[${p.elr.join(',')}]`]), p.replicas.map(replicaText).join(' · ')];
}

function replicaText(r: ReplicaAtMoment): string {
  if (r.logEnd === undefined) return `broker-${r.broker} ${r.state === 'down' ? chalk.red('down') : `${r.state}, replica not open yet`}`;
  const role = r.role === 'leader' ? 'leader' : r.role === 'follower' ? 'follower' : 'no role';
  return `broker-${r.broker} ${role}${r.state === 'up' ? '' : ` (${r.state})`} ${r.logStart}/${r.highWatermark}/${r.logEnd}`;
}

/** Columns padded to their widest cell. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c)))).join('  ');
  return [chalk.dim(line(head)), ...rows.map(line)];
}

// ------------------------------------------------------------------ over time

/** One row per moment: each partition's leader, epoch, ISR and leader's high watermark; who is down, paused or on the side a partition cuts off; the producers' batches. */
export function renderRows(states: readonly ClusterState[]): string[] {
  const first = states[0];
  if (first === undefined) return [];
  const head = ['t', ...first.partitions.map((p) => `${p.name} leader/epoch ISR HW`), 'not up or cut off', 'in flight/waiting'];
  const rows = states.map((s) => [formatTime(s.atMs * 1000), ...s.partitions.map(rowCell), troubles(s), producerTotals(s)]);
  return [chalk.bold(`${first.scenario} (seed ${first.seed}, Kafka ${first.release})`), ...table(head, rows)];
}

function rowCell(p: PartitionAtMoment): string {
  const leader = p.leader === null ? 'none' : `${p.leader}/${p.leaderEpoch}`;
  const hw = p.replicas.find((r) => r.broker === p.leader)?.highWatermark;
  return `${leader} [${p.isr.join(',')}] ${hw ?? '-'}`;
}

function troubles(s: ClusterState): string {
  const nodes = [...s.controllers, ...s.brokers, ...s.producers, ...s.consumers];
  const out = nodes.flatMap((n) => (n.state !== 'up' ? [`${n.node} ${n.state}`] : n.cutOff ? [`${n.node} cut off`] : []));
  return out.length === 0 ? '-' : out.join(', ');
}

function producerTotals(s: ClusterState): string {
  let inFlight = 0;
  let waiting = 0;
  for (const p of s.producers) for (const x of p.partitions) [inFlight, waiting] = [inFlight + x.inFlight, waiting + x.waiting];
  return s.producers.length === 0 ? '-' : `${inFlight}/${waiting}`;
}
