import { parsePartitionName } from '../log/topicPartition.js';
import { brokerIdOf } from '../nodes/nodeId.js';
import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import { compareNumbers } from '../sim/order.js';
import type { MetadataRecord } from '../nodes/controller/metadataRecords.js';
import { explainGroupViolation, groupFocusOf } from './explainGroup.js';
import { explainTombstoneLoss } from './explainCompaction.js';
import { explainExactlyOnce } from './explainTxn.js';
import { explainTxnAnomaly } from './explainTxnAnomaly.js';
import { explainUnseen } from './explainUnseen.js';
import { QuorumNarrator, explainQuorumViolation } from './explainQuorum.js';

import type { TimelineLine } from './timeline.js';

export type { TimelineLine } from './timeline.js';

/**
 * A violation's causal chain, in plain sentences: `kafkasim explain`. It reads the run's
 * trace and keeps what bears on the violation: the records involved (appended by whom, in
 * which epoch, acknowledged when, held by which replicas), the faults that hit the
 * partition's replicas, the elections and ISR changes of the partition, and the
 * truncations that cut the records away. It does not dump every event.
 */
export function explainViolation(records: readonly TraceRecord[], violation: Violation): TimelineLine[] {
  if (violation.kind === 'exactly-once') {
    const story = explainExactlyOnce(records, violation);
    if (story !== undefined) return story;
  }
  const anomaly = explainTxnAnomaly(records, violation);
  if (anomaly !== undefined) return anomaly;
  const compaction = explainTombstoneLoss(records, violation);
  if (compaction !== undefined) return compaction;
  const unseen = explainUnseen(records, violation, narratePartition);
  if (unseen !== undefined) return unseen;
  const quorum = explainQuorumViolation(records, violation);
  if (quorum !== undefined) return quorum;
  const group = groupFocusOf(violation);
  if (group !== undefined) return explainGroupViolation(records, violation, group);
  const partition = typeof violation.details.partition === 'string' ? violation.details.partition : undefined;
  if (partition === undefined) return [{ at: violation.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` }];
  const focus = focusOf(violation);
  const narrator = new Narrator(partition, focus);
  for (const r of records) {
    if (violation.at !== undefined && r.at > violation.at && !narrator.violationShown && violation.kind.startsWith('spec:')) {
      narrator.say(violation.at, `✗ ${violation.kind} breaks here: ${violation.message}`);
      narrator.violationShown = true;
    }
    narrator.see(r);
  }
  const lines = narrator.lines;
  lines.push({ at: lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}

/** The replicas' side of some offsets of a partition: appends, faults, elections, truncations (for `unseen`). */
function narratePartition(records: readonly TraceRecord[], partition: string, offsets: readonly number[]): TimelineLine[] {
  const narrator = new Narrator(partition, { offsets: new Set(offsets), ids: new Set(), labels: new Map(), points: false });
  for (const r of records) narrator.see(r);
  return narrator.lines;
}

/** The offsets and message ids a violation is about. */
interface Focus {
  readonly offsets: ReadonlySet<number>;
  /** Which message sits at each offset in question, when the violation says. */
  readonly labels: ReadonlyMap<number, string>;
  readonly ids: ReadonlySet<string>;
  /** Separate records (a duplicate's two copies), rather than one range of them. */
  readonly points: boolean;
}

function focusOf(v: Violation): Focus {
  const offsets = new Set<number>();
  const ids = new Set<string>();
  const labels = new Map<number, string>();
  const d = v.details;
  const numbers = (x: unknown): number[] => (Array.isArray(x) ? x.filter((n): n is number => typeof n === 'number') : []);
  const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  for (const o of [...numbers(d.ackedOffsets), ...numbers(d.offsets)]) offsets.add(o);
  if (typeof d.offset === 'number') offsets.add(d.offset);
  if (typeof d.committedHighWatermark === 'number') offsets.add(d.committedHighWatermark - 1);
  for (const id of strings(d.ids)) ids.add(id);
  // Of many duplicates or inversions, the first tells the story.
  if (Array.isArray(d.duplicates) && d.duplicates.length > 0) {
    const dup = d.duplicates[0] as { id?: unknown; offsets?: unknown };
    if (typeof dup.id === 'string') ids.add(dup.id);
    for (const o of numbers(dup.offsets)) {
      offsets.add(o);
      if (typeof dup.id === 'string') labels.set(o, dup.id);
    }
    return { offsets, ids, labels, points: true };
  }
  if (Array.isArray(d.inversions) && d.inversions.length > 0) {
    const inv = d.inversions[0] as { earlier?: unknown; later?: unknown; offsets?: unknown };
    const [first, second] = numbers(inv.offsets);
    // The reorder checker names the message sent first (`earlier`) and the one sent after it
    // that landed before it (`later`), with their offsets in that order.
    for (const [o, id] of [[first, inv.earlier], [second, inv.later]] as const) {
      if (o === undefined || typeof id !== 'string') continue;
      offsets.add(o);
      ids.add(id);
      labels.set(o, id);
    }
    return { offsets, ids, labels, points: true };
  }
  return { offsets, ids, labels, points: v.kind === 'divergence' };
}

/** Walks the trace, keeping the partition's state, and says what matters. */
class Narrator {
  readonly lines: TimelineLine[] = [];
  violationShown = false;
  private readonly topic: string;
  private readonly number: number;
  private leader = -1;
  private epoch = -1;
  private isr: readonly number[] = [];
  private replicas: readonly number[] = [];
  /** Each replica's log end offset, as its appends and truncations say. */
  private readonly leo = new Map<number, number>();
  private highWatermark = 0;
  private readonly lo: number;
  private readonly hi: number;
  private appendedSaid = false;
  private ackFirst: { at: number } | undefined;
  private readonly pointsSaid = new Set<number>();
  private timeoutsSaid = 0;
  /** The leader forgot producers when retention deleted their batches (before KIP-360). */
  private producersForgotten = false;
  /** A producer bumped its epoch and sent its batches again (KIP-360). */
  private epochBumped = false;
  /** Brokers in controlled shutdown, as the metadata log says. */
  private readonly shuttingDown = new Set<number>();
  /** A leader the controller replaced, until it learns so (it may write meanwhile). */
  private deposed: number | undefined;
  /** The partition has had an unclean election. */
  private uncleanElected = false;
  /** When each broker that is down went down, and how. */
  private readonly downSince = new Map<number, { readonly at: number; readonly what: string }>();
  /** Brokers whose going down the story told (in the lines, or a prelude that may be told). */
  private readonly downSaid = new Set<number>();
  /** Brokers that are down (crashed or stopped, not yet restarted). */
  private readonly down = new Set<number>();
  /** Which controller is active, and the gaps with none, once the story has started. */
  private readonly quorum = new QuorumNarrator((at, text) => {
    if (this.started) this.say(at, text);
  }, 'active');

  constructor(
    readonly partition: string,
    readonly focus: Focus,
  ) {
    const tp = parsePartitionName(partition);
    this.topic = tp?.topic ?? partition;
    this.number = tp?.partition ?? -1;
    const sorted = [...focus.offsets].sort(compareNumbers);
    this.lo = sorted[0] ?? Number.POSITIVE_INFINITY;
    this.hi = sorted.at(-1) ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * What happened before the records in question appeared, kept from the leader's latest
   * fault on: told only if those records then appear (a zombie's story starts with its pause).
   */
  private prelude: TimelineLine[] = [];

  say(at: number, text: string): void {
    if (!this.started) {
      this.prelude.push({ at, text });
      return;
    }
    if (this.prelude.length > 0) {
      this.lines.push(...this.prelude);
      this.prelude = [];
    }
    const last = this.lines.at(-1);
    // The same thing twice at one instant (two requests timing out together) is said once.
    if (last !== undefined && last.at === at && last.text === text) return;
    this.lines.push({ at, text });
  }

  private get started(): boolean {
    return this.appendedSaid || this.ackFirst !== undefined;
  }

  private holders(): string {
    // While a replaced leader still writes, the replicas that matter are the others, its successor among them.
    const writer = this.deposed ?? this.leader;
    const parts = this.replicas.filter((r) => r !== writer).map((r) => `broker-${r}${r === this.leader && writer !== this.leader ? ' (the new leader)' : ''} up to ${this.leo.get(r) ?? 0}`);
    return parts.length === 0 ? '' : parts.join(', ');
  }

  see(r: TraceRecord): void {
    this.quorum.see(r);
    switch (r.kind) {
      case 'metadata.record':
        this.onMetadata(r.at, JSON.parse(r.detail) as MetadataRecord);
        return;
      case 'replica.append': {
        if (r.partition !== this.partition) return;
        this.leo.set(r.broker, r.lastOffset + 1);
        if (r.role !== 'leader') return;
        if (this.focus.points) {
          for (const o of this.focus.offsets) {
            if (o < r.baseOffset || o > r.lastOffset || this.pointsSaid.has(o)) continue;
            this.pointsSaid.add(o);
            const again = this.pointsSaid.size > 1 && this.focus.ids.size === 1;
            const label = this.focus.labels.get(o) ?? 'a record in question';
            const why = this.producersForgotten
              ? 'it had forgotten the producer, so nothing tied the retry to its first write'
              : this.epochBumped
                ? 'sent again in a new epoch from sequence 0, it is a new batch to the broker'
                : 'without idempotence nothing ties a retry to its first write';
            this.say(r.at, `broker-${r.broker}, leader of ${this.partition} in epoch ${r.leaderEpoch}, appended ${label} ${again ? 'again, ' : ''}at offset ${o}${again ? `: the same message twice, the broker not recognising the retry (${why})` : ''}`);
            this.appendedSaid = true;
          }
          return;
        }
        if (!this.appendedSaid && r.lastOffset >= this.lo && r.baseOffset <= this.hi) {
          this.appendedSaid = true;
          const last = Math.min(this.hi, r.lastOffset);
          this.say(r.at, `broker-${r.broker}, leader of ${this.partition} in epoch ${r.leaderEpoch}, appended offset${this.lo === last ? ` ${this.lo}` : `s ${Math.max(this.lo, r.baseOffset)}–${this.hi}`}${r.lastOffset < this.hi ? ' (and on, batch by batch)' : ''}${r.broker === this.leader ? `; its high watermark was ${this.highWatermark}` : `, not knowing yet that broker-${this.leader} has replaced it`}`);
        }
        return;
      }
      case 'rpc.timeout':
        if (this.started && r.type === 'Produce' && this.timeoutsSaid < 2 && this.replicas.some((b) => r.to === `broker-${b}`)) {
          this.timeoutsSaid++;
          this.say(r.at, `${r.from.replace(/^producer-/, '')}'s produce request to ${r.to} timed out (request.timeout.ms): it cannot tell whether the broker wrote it, and retries`);
        }
        return;
      case 'replica.hw':
        if (r.partition === this.partition && r.broker === this.leader) this.highWatermark = r.highWatermark;
        return;
      case 'log.retention': {
        if (r.partition !== this.partition || r.broker !== this.leader || !this.started) return;
        const gone = [...this.focus.offsets].filter((o) => o >= r.from && o < r.logStartOffset).length;
        const forgot = r.producersForgotten > 0 ? `; with their batches gone, it forgot ${r.producersForgotten} producer${r.producersForgotten === 1 ? '' : 's'} (before KIP-360 a producer's state went with its last batch)` : '';
        if (r.producersForgotten > 0) this.producersForgotten = true;
        this.say(r.at, `retention deleted ${this.partition} below offset ${r.logStartOffset} on broker-${r.broker}${gone > 0 ? `, ${gone} of the records in question with it` : ''}${forgot}`);
        return;
      }
      case 'producer.sequence.reset': {
        if (r.partition !== this.partition || !this.started) return;
        this.say(r.at, `${r.node.replace(/^producer-/, '')} was told UNKNOWN_PRODUCER_ID by ${this.partition}'s leader; the log now starts at ${r.logStartOffset}, past the last offset it saw acknowledged (${r.lastAckedOffset}), so it took its state for lost to retention and restarted its sequence at 0 in epoch ${r.producerEpoch}, not asking whether an earlier attempt was written (a client before KIP-360)`);
        return;
      }
      case 'producer.epoch': {
        const entry = r.partitions.find((p) => p.startsWith(`${this.partition}:`));
        if (entry === undefined || !this.started) return;
        const code = entry.slice(this.partition.length + 1);
        this.epochBumped = true;
        const why =
          code !== 'OUT_OF_ORDER_SEQUENCE_NUMBER'
            ? 'which no longer knows its sequences'
            : this.uncleanElected
              ? 'whose log, and so its sequences, ends before what it had acknowledged (an unclean election)'
              : this.reopened.has(this.leader)
                ? 'which did not recognise a batch it retried (a leader knows only the last five batches of each producer, and one restarted only those since its last producer-state snapshot, which keeps one)'
                : 'which did not recognise a batch it retried: a leader knows only the last five batches of each producer, and newer ones had reached it first (the retried batch had waited at a deposed leader, or out a retry)';
        const cause =
          code === 'UNKNOWN_PRODUCER_ID' || code === 'OUT_OF_ORDER_SEQUENCE_NUMBER'
            ? `was told ${code} by ${this.partition}'s leader, ${why}`
            : `gave up a batch of ${this.partition} with its fate unknown (${code === 'unresolved' ? 'it expired after an attempt' : code})`;
        this.say(r.at, `${r.node.replace(/^producer-/, '')} ${cause}: it bumped its epoch to ${r.producerEpoch} (KIP-360, locally) and sends the partition's unacknowledged batches again from sequence 0`);
        return;
      }
      case 'replica.truncate': {
        if (r.partition !== this.partition) return;
        const before = this.leo.get(r.broker) ?? 0;
        this.leo.set(r.broker, r.to);
        const cut = [...this.focus.offsets].filter((o) => o >= r.to && o < before).length;
        if (cut === 0 && !this.started) return;
        const why =
          r.reason === 'diverging-epoch'
            ? 'its leader said where their logs diverge (leader epochs, KIP-101/KIP-320)'
            : r.reason === 'high-watermark'
              ? 'it truncated to its own high watermark, as before KIP-101'
              : r.reason === 'out-of-range'
                ? "its fetch offset was outside the leader's log, so it asked the leader where its log ends and starts (AbstractFetcherThread.handleOutOfRangeError)"
                : r.reason;
        this.say(r.at, `broker-${r.broker} truncated ${this.partition} from ${before} to offset ${r.to}: ${why}${cut > 0 ? `, dropping ${cut} of the records in question` : ''}`);
        return;
      }
      case 'replica.open': {
        if (r.partition !== this.partition) return;
        if (this.started) this.reopened.add(r.broker);
        const before = this.leo.get(r.broker);
        this.leo.set(r.broker, r.logEndOffset);
        if (before === undefined || r.logEndOffset >= before) return;
        const lost = [...this.focus.offsets].filter((o) => o >= r.logEndOffset && o < before).length;
        this.say(r.at, `broker-${r.broker} reopened its log of ${this.partition}: it ends at ${r.logEndOffset}, not ${before}; the rest was never flushed to disk${lost > 0 ? `, ${lost} of the records in question with it` : ''}`);
        return;
      }
      case 'replica.fetch.failed':
        if (r.partition === this.partition) this.say(r.at, `broker-${r.broker} stopped replicating ${this.partition}: ${r.reason}`);
        return;
      case 'replica.fetch.corrupt': {
        // The follower retries every replica.fetch.backoff.ms; the first failure at an offset tells the story.
        const key = `${r.broker}@${r.fetchOffset}`;
        if (r.partition !== this.partition || this.corruptSaid.has(key)) return;
        this.corruptSaid.add(key);
        this.say(r.at, `broker-${r.broker} fetched records of ${this.partition} from offset ${r.fetchOffset} that fail their checksum (${r.reason}); it keeps fetching them again, and stays behind until the leader's copy changes`);
        return;
      }
      case 'client.send':
        this.onSend(r);
        return;
      case 'client.op':
        this.onConsumed(r);
        return;
      case 'node.crash':
      case 'node.pause':
      case 'node.start':
      case 'node.shutdown':
      case 'node.stop':
        this.onNode(r);
        return;
      case 'replica.role':
        if (r.partition === this.partition && r.role === 'follower' && r.broker === this.deposed) {
          this.deposed = undefined;
          if (this.started) this.say(r.at, `broker-${r.broker} learned from the metadata log that it no longer leads ${this.partition}, and stopped taking writes for it`);
        }
        return;
      case 'net.partition':
        if (this.started) this.say(r.at, `a network partition (${r.name}) cut ${r.cuts} links`);
        return;
      case 'net.heal':
        if (this.started && r.names.length > 0) this.say(r.at, `the network healed`);
        return;
      case 'fault.apply':
        if (r.action !== 'disk' || !this.started) return;
        for (const target of r.targets) {
          const id = brokerIdOf(target);
          if (id === undefined || !this.replicas.includes(id)) continue;
          const role = id === this.leader ? `the leader of ${this.partition}` : `a replica of ${this.partition}`;
          this.say(r.at, `a media fault damaged log bytes on ${target}'s disk (${role}): a batch it hit fails its checksum, and nothing reads past it (Kafka detects rot, but never repairs it)`);
        }
        return;
      default:
        return;
    }
  }

  /** A consumer processed one of the records in question: said once per offset. */
  private readonly consumedSaid = new Set<number>();
  /** Brokers that reopened their log of the partition (a restart) after its records in question were first written. */
  private readonly reopened = new Set<number>();
  /** Corrupt fetches already told, by broker and fetch offset. */
  private readonly corruptSaid = new Set<string>();

  private onConsumed(r: TraceRecord<'client.op'>): void {
    if (r.f !== 'process' || r.type !== 'ok' || !this.focus.points) return;
    const v = r.value as { readonly partition?: unknown; readonly offset?: unknown; readonly id?: unknown };
    if (v.partition !== this.partition || typeof v.offset !== 'number' || !this.focus.offsets.has(v.offset) || this.consumedSaid.has(v.offset)) return;
    this.consumedSaid.add(v.offset);
    this.say(r.at, `consumer ${r.process} processed ${typeof v.id === 'string' ? v.id : 'a record in question'} at offset ${v.offset}${this.consumedSaid.size > 1 ? ' (again)' : ''}`);
  }

  private onSend(r: TraceRecord<'client.send'>): void {
    if (r.type !== 'ok' || r.partition !== this.partition || r.offset === undefined || !this.focus.offsets.has(r.offset)) return;
    if (this.ackFirst === undefined) {
      this.ackFirst = { at: r.at };
      this.say(r.at, `${r.process} was told its write at offset ${r.offset} succeeded (the first of the records in question to be acknowledged); the followers had ${this.holders() || 'nothing'}`);
    }
  }

  private onNode(r: TraceRecord<'node.crash'> | TraceRecord<'node.pause'> | TraceRecord<'node.start'> | TraceRecord<'node.shutdown'> | TraceRecord<'node.stop'>): void {
    const id = brokerIdOf(r.node);
    const isReplica = id !== undefined && this.replicas.includes(id);
    // The quorum narrator tells of controllers.
    if (r.node.startsWith('controller')) return;
    // A replaced leader that is down never acts on its old leadership again.
    if (id !== undefined && (r.kind === 'node.crash' || r.kind === 'node.stop')) this.down.add(id);
    if (id !== undefined && r.kind === 'node.start') this.down.delete(id);
    if (id !== undefined && id === this.deposed && this.down.has(id)) this.deposed = undefined;
    if (id !== undefined && r.kind === 'node.crash') this.downSince.set(id, { at: r.at, what: r.mode === 'power' ? 'lost power' : 'crashed' });
    if (id !== undefined && r.kind === 'node.stop' && !this.downSince.has(id)) this.downSince.set(id, { at: r.at, what: 'stopped' });
    if (!isReplica || (!this.started && id !== this.leader)) return;
    // Before the records in question, only the leader's latest fault (and what follows it) matters.
    if (!this.started && r.kind !== 'node.start' && r.kind !== 'node.stop') this.prelude = [];
    const role = id === this.leader ? `while leader of ${this.partition} (epoch ${this.epoch})` : `as a follower of ${this.partition}`;
    if (r.kind === 'node.crash') {
      const has = this.leo.get(id) ?? 0;
      const what = r.mode === 'power' ? 'lost power (its unflushed page cache is gone)' : 'crashed (kill -9: its page cache survives)';
      this.say(r.at, `broker-${id} ${what} ${role}; its log ended at ${has}${id === this.leader ? `, the followers had ${this.holders() || 'nothing'}` : ''}`);
    } else if (r.kind === 'node.shutdown') {
      this.say(r.at, `broker-${id} was asked to shut down (SIGTERM) ${role}: in a controlled shutdown it first has the controller move its leaderships away, and keeps serving until it learns of them`);
    } else if (r.kind === 'node.stop') {
      this.say(r.at, `broker-${id} stopped cleanly: every log flushed and closed; its log of ${this.partition} ended at ${this.leo.get(id) ?? 0}`);
    } else if (r.kind === 'node.pause') {
      this.say(r.at, `broker-${id} paused ${role} until ${formatTime(r.until)} (a GC pause or SIGSTOP: it does nothing, but stays in the ISR until replica.lag.time.max.ms)`);
    } else if (this.started) {
      // A restart is told with the fault it ends, even when that came before the records in question.
      const since = this.downSince.get(id);
      const unsaid = since !== undefined && !this.downSaid.has(id) ? ` (it had ${since.what} at ${formatTime(since.at)}, before the records in question)` : '';
      this.say(r.at, `broker-${id} restarted${unsaid}`);
    }
    if (r.kind === 'node.start') {
      this.downSince.delete(id);
      this.downSaid.delete(id);
    } else if (r.kind === 'node.crash' || r.kind === 'node.stop') this.downSaid.add(id);
  }

  private onMetadata(at: number, record: MetadataRecord): void {
    if (record.type === 'Partition' && record.topic === this.topic && record.partition === this.number) {
      this.leader = record.leader;
      this.epoch = record.leaderEpoch;
      this.isr = record.isr;
      this.replicas = record.replicas;
      return;
    }
    // Why an election waited after a leader went silent: the controller acts only once the
    // broker's session has expired (broker.session.timeout.ms since its last heartbeat;
    // BrokerHeartbeatManager.findOneStaleBroker, then ReplicationControlManager.fenceStaleBroker).
    if (record.type === 'FenceBroker' && record.brokerId === this.leader && (this.started || this.prelude.length > 0) && this.down.has(record.brokerId)) {
      this.say(at, `the controller fenced broker-${record.brokerId}: it had heard no heartbeat from it for broker.session.timeout.ms, and only now moves its leaderships`);
    }
    if (record.type === 'BrokerRegistrationChange') this.shuttingDown.add(record.brokerId);
    if (record.type === 'RegisterBroker') this.shuttingDown.delete(record.brokerId);
    if (record.type !== 'PartitionChange' || record.topic !== this.topic || record.partition !== this.number) return;
    const oldIsr = this.isr;
    if (record.isr !== undefined) this.isr = record.isr;
    if (record.leader !== undefined && record.leader !== this.leader) {
      const old = this.leader;
      this.deposed = old >= 0 && !this.down.has(old) ? old : undefined;
      this.leader = record.leader;
      this.epoch++;
      if (record.unclean === true) this.uncleanElected = true;
      if (!this.started && this.prelude.length === 0) return;
      const why = this.shuttingDown.has(old) ? ` (broker-${old} is in controlled shutdown; it leads until it learns of this)` : '';
      if (record.leader < 0) this.say(at, `${this.partition} has no leader: no in-sync replica is available (offline)`);
      else if (record.unclean === true) this.say(at, `the controller elected broker-${record.leader} leader of ${this.partition} (epoch ${this.epoch}) from outside the ISR ${fmt(oldIsr)}: an unclean election; its log ended at ${this.leo.get(record.leader) ?? 0}`);
      else this.say(at, `the controller elected broker-${record.leader} leader of ${this.partition} (epoch ${this.epoch}) from the ISR ${fmt(this.isr)}${why}; its log ended at ${this.leo.get(record.leader) ?? 0}`);
      this.highWatermark = 0;
      return;
    }
    if (record.isr !== undefined && (this.started || this.prelude.length > 0)) {
      const grew = record.isr.length > oldIsr.length;
      this.say(at, `the ISR of ${this.partition} ${grew ? 'grew' : 'shrank'} to ${fmt(record.isr)}`);
    }
  }
}

function fmt(isr: readonly number[]): string {
  return `[${isr.join(',')}]`;
}

/** Renders a timeline as the CLI prints it. */
export function formatTimeline(lines: readonly TimelineLine[]): string[] {
  return lines.map((l) => (l.text.startsWith('→') ? l.text : `t=${formatTime(l.at).padStart(8)}  ${l.text}`));
}
