/**
 * The controller quorum in `explain`: its elections (KIP-595's Vote, KIP-996's pre-vote
 * before it), resignations (check-quorum, KAFKA-15489, or a shutdown), leaders stepping down
 * on a newer epoch, and the intervals with no active controller, when no partition leader or
 * ISR can change (QuorumController acts only as the Raft leader, once it has replayed the
 * log: ListenerContext.maybeFireLeaderChange, QuorumController.claim). Read from the trace
 * kinds the Raft client and the controller emit: raft.state, controller.active, and the
 * controllers' node records.
 */
import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { MICROS_PER_MS, formatDuration, formatTime } from '../sim/time.js';
import { timeline, type TimelineLine } from './timeline.js';
import { brokerIdOf } from '../nodes/nodeId.js';
import type { MetadataRecord } from '../nodes/controller/metadataRecords.js';

/** The quorum's log, as the online Raft invariants name it. */
const METADATA_PARTITION = '__cluster_metadata-0';

/** The violations that are the quorum's own. */
const QUORUM_KINDS: ReadonlySet<string> = new Set(['disruptive-election', 'stale-controller', 'frozen-leadership']);

/**
 * How much a story tells of the quorum: `full`, every election, resignation and step-down
 * (a quorum violation's story); `active`, which controller is active and the gaps with none
 * (a partition's story, where only that bears on its elections).
 */
export type QuorumDetail = 'full' | 'active';

/** One controller's run of candidacies without another state between them. */
interface Candidacies {
  readonly firstEpoch: number;
  lastEpoch: number;
  count: number;
}

/** Follows the quorum through the trace and tells what `detail` asks for. */
export class QuorumNarrator {
  /** The controllers active now, with their epochs. */
  private readonly active = new Map<string, number>();
  /** Since when no controller has been active (after one was). */
  private noneSince: { readonly at: number; readonly why: string } | undefined;
  private readonly state = new Map<string, { readonly state: string; readonly epoch: number }>();
  private readonly candidacies = new Map<string, Candidacies>();

  constructor(
    private readonly say: (at: number, text: string) => void,
    private readonly detail: QuorumDetail,
  ) {}

  see(r: TraceRecord): void {
    if (r.kind === 'controller.active') this.onActive(r.at, r.node, r.epoch, r.active);
    else if (r.kind === 'raft.state' && r.node.startsWith('controller')) this.onState(r);
    else if ((r.kind === 'node.crash' || r.kind === 'node.stop') && r.node.startsWith('controller')) this.onDown(r.at, r.node, r.kind === 'node.crash' ? (r.mode === 'power' ? 'lost power' : 'crashed') : 'stopped');
    else if (r.kind === 'node.pause' && r.node.startsWith('controller') && this.detail === 'full') this.say(r.at, `${r.node} paused until ${formatTime(r.until)} (a GC pause or SIGSTOP)${this.active.has(r.node) ? ': the active controller does nothing meanwhile' : ''}`);
  }

  private onActive(at: number, node: string, epoch: number, active: boolean): void {
    if (active) {
      const others = [...this.active].filter(([n]) => n !== node);
      this.active.set(node, epoch);
      const gap = this.noneSince;
      this.noneSince = undefined;
      const newer = others.filter(([, e]) => e > epoch);
      if (newer.length > 0) {
        // A claim in an epoch the quorum has left: before KAFKA-17333 (Kafka 3.9) a former
        // leader restarting resigned in its old epoch told QuorumController it led it.
        this.say(at, `${node} believes it is the active controller in epoch ${epoch}, an older epoch than ${newer.map(([n, e]) => `${n}'s ${e}`).join(' and ')}: ${newer.map(([n]) => n).join(' and ')} is the active one`);
        return;
      }
      const stale = others.map(([n, e]) => (e < epoch ? `; ${n} still believes it is active in an older epoch, ${e}` : `; ${n} also believes it is active in epoch ${e}, the same one`)).join('');
      if (gap === undefined) this.say(at, `${node} is the active controller (epoch ${epoch})${stale}`);
      else this.say(at, `${node} is the active controller (epoch ${epoch}), after ${formatDuration(Math.round((at - gap.at) / MICROS_PER_MS) * MICROS_PER_MS)} with none since ${gap.why} at ${formatTime(gap.at)}: meanwhile no partition leader or ISR could change${stale}`);
      return;
    }
    if (!this.active.delete(node)) return;
    if (this.detail === 'full' || this.active.size === 0) this.say(at, `${node} is no longer the active controller (it led epoch ${epoch})`);
    this.maybeNone(at, `${node} stopped being active`);
  }

  private onDown(at: number, node: string, what: string): void {
    const wasActive = this.active.delete(node);
    this.flushCandidacies(at, node);
    this.state.delete(node);
    if (wasActive) this.say(at, `${node}, the active controller, ${what}`);
    else if (this.detail === 'full') this.say(at, `${node} ${what} (not the active controller)`);
    if (wasActive) this.maybeNone(at, `${node} ${what}`);
  }

  private maybeNone(at: number, why: string): void {
    if (this.active.size === 0 && this.noneSince === undefined) this.noneSince = { at, why };
  }

  private onState(r: TraceRecord<'raft.state'>): void {
    const before = this.state.get(r.node);
    this.state.set(r.node, { state: r.state, epoch: r.epoch });
    if (this.detail !== 'full') return;
    if (r.state === 'candidate') {
      const run = this.candidacies.get(r.node);
      if (run !== undefined) {
        run.lastEpoch = r.epoch;
        run.count++;
        return;
      }
      this.candidacies.set(r.node, { firstEpoch: r.epoch, lastEpoch: r.epoch, count: 1 });
      const how = before?.state === 'prospective' ? ', after a majority granted its pre-votes (KIP-996)' : before?.state === 'follower' ? ': it had heard nothing from the leader for controller.quorum.fetch.timeout.ms' : '';
      this.say(r.at, `${r.node} stood for election in epoch ${r.epoch}${how}`);
      return;
    }
    this.flushCandidacies(r.at, r.node);
    if (r.state === 'leader') this.say(r.at, `${r.node} won the election: the quorum's leader in epoch ${r.epoch}; it becomes the active controller once it has replayed the log`);
    else if (r.state === 'resigned') this.say(r.at, `${r.node} resigned in epoch ${r.epoch}: it shuts down, or heard no fetch from a majority of voters for 1.5 × controller.quorum.fetch.timeout.ms (check-quorum, KAFKA-15489)`);
    else if (before?.state === 'leader' && r.epoch > before.epoch) this.say(r.at, `${r.node}, leader of epoch ${before.epoch}, saw epoch ${r.epoch} and stepped down`);
  }

  /** A run of several candidacies is told once it ends, at `at`. */
  private flushCandidacies(at: number, node: string): void {
    const run = this.candidacies.get(node);
    this.candidacies.delete(node);
    if (run !== undefined && run.count > 1) this.say(at, `${node} had stood again and again: ${run.count} elections, epochs ${run.firstEpoch} to ${run.lastEpoch}, none won`);
  }

  /** The end of the story: runs of candidacies still going, and a gap with no active controller still open. */
  finish(at: number): void {
    for (const node of [...this.candidacies.keys()]) this.flushCandidacies(at, node);
    if (this.noneSince !== undefined) this.say(at, `no active controller since ${formatTime(this.noneSince.at)} (${this.noneSince.why})`);
  }
}

/** A quorum violation's story: the controllers' elections, resignations and gaps, to the violation. */
export function explainQuorumViolation(records: readonly TraceRecord[], violation: Violation): TimelineLine[] | undefined {
  if (!QUORUM_KINDS.has(violation.kind) && violation.details.partition !== METADATA_PARTITION) return undefined;
  const t = timeline();
  const narrator = new QuorumNarrator(t.say, 'full');
  const broker = typeof violation.details.broker === 'string' ? brokerIdOf(violation.details.broker) : undefined;
  let shown = false;
  for (const r of records) {
    if (r.kind === 'metadata.record' && r.record === 'FenceBroker' && broker !== undefined && (JSON.parse(r.detail) as MetadataRecord & { type: 'FenceBroker' }).brokerId === broker) {
      t.say(r.at, `an active controller fenced broker-${broker}: it had heard no heartbeat from it for broker.session.timeout.ms`);
    }
    tellFault(t.say, r);
    if (!shown && violation.at !== undefined && r.at > violation.at) {
      t.say(violation.at, `✗ ${violation.kind} here: ${violation.message}`);
      shown = true;
    }
    narrator.see(r);
  }
  narrator.finish(records.at(-1)?.at ?? 0);
  t.lines.push({ at: t.lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return t.lines;
}

/** The faults, as a quorum story needs them: network partitions by who they cut off, heals, and the rest by action and target. */
function tellFault(say: (at: number, text: string) => void, r: TraceRecord): void {
  if (r.kind === 'net.partition') say(r.at, `network partition ${r.name}: ${r.cutOff.join(', ')} cut off from the rest`);
  else if (r.kind === 'net.heal' && r.names.length > 0) say(r.at, `network partition ${r.names.join(', ')} healed`);
  else if (r.kind === 'fault.apply' && r.action !== 'partition' && r.action !== 'heal') say(r.at, `fault: ${r.action} ${r.targets.join(', ')}`.trim());
}
