import { brokerIdOf } from '../nodes/nodeId.js';
import type { ClusterFinalState } from '../checkers/finalState.js';
import type { PollValue, ProcessValue } from '../sim/consumeLog.js';
import type { TraceRecord } from '../sim/trace.js';
import { timeline, type TimelineLine } from './timeline.js';

/**
 * The life of one message, `kafkasim explain --message p1#3585`: its send, the produce
 * requests that timed out while it waited, where it was appended (the leader, its epoch,
 * the offset), which followers replicated it, when the high watermark passed it (Kafka's
 * "committed": Partition.maybeIncrementLeaderHW), when the producer was told, any
 * truncation that cut it away, the faults that struck meanwhile, the consumers that polled
 * and processed it, and the group commits that moved past it. It reads the run's trace and,
 * for where the message ended, the final logs; it follows the message's offsets only.
 */

/** Where one message was written: its partition and the offsets that held it. */
interface Placement {
  readonly partition: string;
  readonly offsets: Set<number>;
}

/** The id's producer process and sequence, or undefined when it is not of the form `p1#12`. */
export function parseMessageId(id: string): { readonly process: string; readonly seq: number } | undefined {
  const m = /^(.+)#(\d+)$/.exec(id);
  return m === null ? undefined : { process: m[1], seq: Number(m[2]) };
}

/** Whether the trace holds a send of this message. */
export function messageWasSent(records: readonly TraceRecord[], id: string): boolean {
  const p = parseMessageId(id);
  return p !== undefined && records.some((r) => r.kind === 'client.send' && r.type === 'invoke' && r.process === p.process && r.seq === p.seq);
}

/** The partition and the offsets that held the message: from its acknowledgement, the polls that returned it, and the final logs. */
function placementOf(records: readonly TraceRecord[], id: string, state: ClusterFinalState | undefined): Placement | undefined {
  const p = parseMessageId(id);
  if (p === undefined) return undefined;
  let partition: string | undefined;
  const offsets = new Set<number>();
  const add = (name: string, offset: number): void => {
    partition ??= name;
    if (name === partition) offsets.add(offset);
  };
  for (const r of records) {
    if (r.kind === 'client.send' && r.process === p.process && r.seq === p.seq && r.partition !== undefined) {
      partition ??= r.partition;
      if (r.offset !== undefined) add(r.partition, r.offset);
    } else if (r.kind === 'client.op' && r.f === 'poll' && r.type === 'ok') {
      for (const [name, offset, rid] of (r.value as PollValue).records) if (rid === id) add(name, offset);
    }
  }
  for (const ps of state?.partitions ?? []) for (const rec of ps.committed) if (rec.id === id) add(ps.partition, rec.offset);
  return partition === undefined ? undefined : { partition, offsets };
}

/** The message's story, line by line; an empty list when the run never sent it. */
export function explainMessage(records: readonly TraceRecord[], id: string, state?: ClusterFinalState): TimelineLine[] {
  const p = parseMessageId(id);
  if (p === undefined || !messageWasSent(records, id)) return [];
  const place = placementOf(records, id, state);
  const committed = state?.partitions.find((x) => x.partition === place?.partition)?.committed ?? [];
  const finalEpochs = new Map(committed.filter((rec) => rec.id === id).map((rec) => [rec.offset, rec.epoch]));
  const teller = new MessageTeller(id, p.process, p.seq, place, finalEpochs);
  for (const r of records) teller.see(r);
  return teller.finish(state);
}

/** Walks the trace once, telling what happened to one message. */
class MessageTeller {
  private readonly story = timeline();
  private sentAt: number | undefined;
  /** The message's send completed (acknowledged, failed or given up). */
  private done = false;
  /** Each replica's log end offset of the message's partition. */
  private readonly leo = new Map<number, number>();
  /** Replicas holding each offset of the message, as appends and truncations say. */
  private readonly holders = new Map<number, Set<number>>();
  private readonly committedAt = new Set<number>();
  /** Offsets a leader has appended at. */
  private readonly leaderAppended = new Set<number>();
  /** The partition's leader, as the metadata log says. */
  private leader = -1;
  private readonly groupsPast = new Set<string>();
  private replicas: readonly number[] = [];
  private lastAt = 0;
  /** The nodes the latest network partition cut off. */
  private cutOff: readonly string[] = [];
  /** Faults after the send, told if they came before the message's last event. */
  private readonly faults: TimelineLine[] = [];

  constructor(
    private readonly id: string,
    private readonly process: string,
    private readonly seq: number,
    private readonly place: Placement | undefined,
    /** The leader epoch of each offset where the final committed log holds the message. */
    private readonly finalEpochs: ReadonlyMap<number, number>,
  ) {}

  private say(at: number, text: string): void {
    this.lastAt = at;
    this.story.say(at, text);
  }

  private get partition(): string | undefined {
    return this.place?.partition;
  }

  /** The message's offsets inside [base, last]. */
  private within(base: number, last: number): number[] {
    return [...(this.place?.offsets ?? [])].filter((o) => o >= base && o <= last);
  }

  see(r: TraceRecord): void {
    switch (r.kind) {
      case 'client.send':
        this.onSend(r);
        return;
      case 'rpc.timeout':
        if (this.sentAt !== undefined && !this.done && r.type === 'Produce' && r.from === `producer-${this.process}`) {
          this.say(r.at, `a produce request of ${this.process} to ${r.to} timed out (request.timeout.ms): ${this.process} cannot tell whether it was written, and sends its unacknowledged batches again`);
        }
        return;
      case 'replica.append':
        this.onAppend(r);
        return;
      case 'replica.hw':
        this.onHighWatermark(r);
        return;
      case 'replica.truncate':
        this.onTruncate(r);
        return;
      case 'replica.open':
        this.onOpen(r);
        return;
      case 'metadata.record':
        this.onMetadata(r);
        return;
      case 'client.op':
        this.onConsumer(r);
        return;
      case 'group.commit':
        this.onGroupCommit(r);
        return;
      case 'net.partition':
        this.cutOff = r.cutOff;
        return;
      case 'fault.apply': {
        if (this.sentAt === undefined) return;
        // A partition's targets are every node on either side: it is told by the side it cut off.
        const text = r.action === 'partition' ? `a network partition cut off ${this.cutOff.map((t) => this.withCopy(t)).join(', ')}` : `a fault struck: ${r.action} ${r.targets.map((t) => this.withCopy(t)).join(', ')}`.trim();
        this.faults.push({ at: r.at, text });
        return;
      }
      default:
        return;
    }
  }

  private onSend(r: TraceRecord<'client.send'>): void {
    if (r.process !== this.process || r.seq !== this.seq) return;
    if (r.type === 'invoke') {
      this.sentAt = r.at;
      this.say(r.at, `${this.process} sent ${this.id}${this.partition === undefined ? '' : ` to ${this.partition}`}`);
      return;
    }
    this.done = true;
    if (r.type === 'ok') this.say(r.at, `${this.process} was told ${this.id} was written at offset ${r.offset ?? '?'} of ${r.partition ?? '?'}: acknowledged`);
    else if (r.type === 'fail') this.say(r.at, `${this.process} was told ${this.id} failed: ${r.error ?? 'an error'} (it was not written)`);
    else this.say(r.at, `${this.process} gave up on ${this.id} without knowing whether it was written (${r.error ?? 'indeterminate'})`);
  }

  /**
   * An append at one of the message's offsets holds the message, or another record written
   * there after the message's copy was cut away (an unclean or a KIP-101 leader). A leader's
   * append holds it when it is the first at that offset, or when the final log holds the
   * message there in that leader epoch; a follower's, when its leader's copy holds it.
   */
  private onAppend(r: TraceRecord<'replica.append'>): void {
    if (r.partition !== this.partition) return;
    this.leo.set(r.broker, r.lastOffset + 1);
    for (const o of this.within(r.baseOffset, r.lastOffset)) {
      const set = this.holders.get(o) ?? new Set<number>();
      this.holders.set(o, set);
      if (r.role === 'leader') this.onLeaderAppend(r, o, set);
      else if (set.has(this.leader)) {
        set.add(r.broker);
        this.say(r.at, `broker-${r.broker} replicated offset ${o} (a follower's fetch): ${set.size} of ${Math.max(this.replicas.length, set.size)} replicas hold it`);
      } else set.delete(r.broker);
    }
  }

  private onLeaderAppend(r: TraceRecord<'replica.append'>, o: number, set: Set<number>): void {
    const finalEpoch = this.finalEpochs.get(o);
    const first = !this.leaderAppended.has(o);
    this.leaderAppended.add(o);
    if (finalEpoch === undefined ? first : finalEpoch === r.leaderEpoch) {
      set.add(r.broker);
      this.say(r.at, `broker-${r.broker}, leader of ${r.partition} in epoch ${r.leaderEpoch}, appended ${this.id} at offset ${o}${first ? '' : ' (written again)'}`);
      return;
    }
    set.delete(r.broker);
    this.say(r.at, `broker-${r.broker}, leader of ${r.partition} in epoch ${r.leaderEpoch}, appended another record at offset ${o}, where ${this.id} had been written`);
  }

  private onHighWatermark(r: TraceRecord<'replica.hw'>): void {
    if (r.partition !== this.partition) return;
    for (const o of this.within(0, r.highWatermark - 1)) {
      if (this.committedAt.has(o) || this.holders.get(o)?.has(r.broker) !== true) continue;
      this.committedAt.add(o);
      this.say(r.at, `broker-${r.broker}'s high watermark of ${r.partition} passed offset ${o} (now ${r.highWatermark}): committed, and consumers may read it`);
    }
  }

  private onTruncate(r: TraceRecord<'replica.truncate'>): void {
    if (r.partition !== this.partition) return;
    const before = this.leo.get(r.broker) ?? 0;
    this.leo.set(r.broker, r.to);
    for (const o of this.within(r.to, before - 1)) {
      if (this.holders.get(o)?.delete(r.broker) !== true) continue;
      this.committedAt.delete(o);
      this.say(r.at, `broker-${r.broker} truncated ${r.partition} to offset ${r.to} (${r.reason}), dropping its copy of ${this.id} at offset ${o}`);
    }
  }

  private onOpen(r: TraceRecord<'replica.open'>): void {
    if (r.partition !== this.partition) return;
    const before = this.leo.get(r.broker);
    this.leo.set(r.broker, r.logEndOffset);
    if (before === undefined) return;
    for (const o of this.within(r.logEndOffset, before - 1)) {
      if (this.holders.get(o)?.delete(r.broker) !== true) continue;
      this.say(r.at, `broker-${r.broker} reopened its log of ${r.partition} ending at ${r.logEndOffset}: offset ${o} was never flushed to its disk, and is gone from it`);
    }
  }

  private onMetadata(r: TraceRecord<'metadata.record'>): void {
    if (this.partition === undefined || !r.detail.includes('"Partition')) return;
    const rec = JSON.parse(r.detail) as { type: string; topic?: string; partition?: number; replicas?: number[]; leader?: number; unclean?: boolean };
    if (`${rec.topic}-${rec.partition}` !== this.partition) return;
    if (rec.type === 'Partition' && rec.replicas !== undefined) this.replicas = rec.replicas;
    if (rec.leader !== undefined) this.leader = rec.leader;
    if (rec.type !== 'PartitionChange' || rec.leader === undefined || this.sentAt === undefined) return;
    if (rec.leader < 0) this.say(r.at, `${this.partition} lost its leader: no in-sync replica was available`);
    else this.say(r.at, `the controller made broker-${rec.leader} leader of ${this.partition}${rec.unclean === true ? ' from outside the ISR (an unclean election)' : ''}; it holds ${this.heldBy(rec.leader)}`);
  }

  /** A fault's target, and for a replica of the partition whether it holds the message. */
  private withCopy(target: string): string {
    const b = brokerIdOf(target);
    return b === undefined || !this.replicas.includes(b) || this.holders.size === 0 ? target : `${target} (${this.heldBy(b) === `no copy of ${this.id}` ? 'no copy of it' : 'holding it'})`;
  }

  private heldBy(broker: number): string {
    const offsets = [...(this.place?.offsets ?? [])].filter((o) => this.holders.get(o)?.has(broker) === true);
    return offsets.length === 0 ? `no copy of ${this.id}` : `${this.id} at offset ${offsets.join(', ')}`;
  }

  private onConsumer(r: TraceRecord<'client.op'>): void {
    if (r.type !== 'ok') return;
    if (r.f === 'poll') {
      const hits = (r.value as PollValue).records.filter((x) => x[2] === this.id);
      for (const [partition, offset] of hits) this.say(r.at, `consumer ${r.process} polled ${this.id} (${partition} offset ${offset}, generation ${(r.value as PollValue).generation})`);
    } else if (r.f === 'process') {
      const v = r.value as ProcessValue;
      if (v.id === this.id) this.say(r.at, `consumer ${r.process} finished processing ${this.id} (offset ${v.offset})`);
    }
  }

  private onGroupCommit(r: TraceRecord<'group.commit'>): void {
    if (r.partition !== this.partition || this.groupsPast.has(r.group)) return;
    const passed = this.within(0, r.offset - 1);
    if (passed.length === 0) return;
    this.groupsPast.add(r.group);
    this.say(r.at, `group ${r.group}'s committed offset of ${r.partition} moved past ${this.id} (to ${r.offset}, by ${r.member} in generation ${r.generation}, on broker-${r.broker})${r.stale ? ': a stale commit' : ''}`);
  }

  /** The closing line: where the message ended. */
  finish(state: ClusterFinalState | undefined): TimelineLine[] {
    const lines = mergeByTime(this.story.lines, this.faults.filter((f) => f.at <= this.lastAt));
    const ps = state?.partitions.find((x) => x.partition === this.partition);
    if (ps !== undefined) {
      const at = ps.committed.filter((rec) => rec.id === this.id).map((rec) => rec.offset);
      const end = at.length === 0 ? `not in the committed log of ${ps.partition}` : `in the committed log of ${ps.partition} at offset ${at.join(' and ')}${at.length > 1 ? ' (a duplicate)' : ''}`;
      const read = [...new Set(lines.filter((l) => l.text.startsWith('consumer ') && l.text.includes(' polled ')).map((l) => l.text.split(' ')[1]))];
      lines.push({ at: this.lastAt, text: `→ ${this.id} ended ${end}; ${read.length === 0 ? 'no consumer read it' : `read by ${read.join(', ')}`}` });
    }
    return lines;
  }
}

/** Two timelines in one, in order of time; at one instant, `a`'s lines first. */
function mergeByTime(a: readonly TimelineLine[], b: readonly TimelineLine[]): TimelineLine[] {
  const out: TimelineLine[] = [];
  let j = 0;
  for (const line of a) {
    while (j < b.length && b[j].at < line.at) out.push(b[j++]);
    out.push(line);
  }
  return [...out, ...b.slice(j)];
}
