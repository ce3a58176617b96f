/**
 * The swarm: every library lesson under generated fault schedules of every kind, judged by
 * what the lesson's configuration is designed to survive (docs/sweeps.md, "The swarm").
 *
 * A case is a lesson, a case number k, the schedule fast-check draws from the lesson's own
 * fixed seed and k, and a run with simulation seed k. The generated faults are added to the
 * lesson's own faults (and its nemesis, if it has one), so a finding is replayed by pasting
 * them under the lesson's `faults:` and running it with `--seed k`.
 *
 * What is a finding:
 * - a simulator error (anything the run throws) always;
 * - an online-spec violation (the TLA+ invariants of checkers/onlineSpec.ts), or a
 *   replication one (`divergence`, `split-brain`, `hw-regression`), unless the lesson's
 *   configuration allows it (it expects one, enables unclean election, or brings back a
 *   pre-KIP-279 truncation rule) or the faults go beyond the design (media faults, or power
 *   losses beyond {@link powerLossWithinDesign});
 * - any other violation of a lesson that expects none, under faults within its design, unless
 *   its configuration allows that kind under faults ({@link allowedUnderFaults}).
 *
 * This module has no wall time and no ambient randomness: the schedules come from fast-check
 * with fixed seeds, the runs from the simulator's seeded RNG.
 */
import fc from 'fast-check';
import { faultSchedule, type FaultKind, type RawFault } from './arbitraries.js';
import { scenarioFromObject } from './loader.js';
import { runScenario } from './runner.js';
import type { Scenario, ScenarioFault } from './schema.js';
import type { Violation } from '../sim/checker.js';
import type { TraceRecord, TraceSink } from '../sim/trace.js';
import { MICROS_PER_MS } from '../sim/time.js';
import { compareStrings } from '../sim/order.js';
import { raftFeaturesAt } from '../nodes/controller/raft/kafkaRaftClient.js';

/** Every kind a generated schedule draws from. */
export const SWARM_FAULT_KINDS: readonly FaultKind[] = ['crash', 'restart', 'shutdown', 'pause', 'isolate', 'heal', 'oneWay', 'degrade', 'clock', 'disk'];

/** The most faults one generated schedule holds. */
const MAX_FAULTS = 8;

/** At most this many partitions per topic are offered to `leader(…)` targets. */
const LEADER_TARGETS_PER_TOPIC = 3;

/**
 * How long before a power loss the other brokers must already be back and in sync, beyond
 * replica.lag.time.max.ms: a follower that returned needs a moment to catch up and rejoin the
 * ISR (Partition.maybeExpandIsr) before it protects what only the leader holds.
 */
const CATCH_UP_MARGIN_MS = 5_000;

/** One lesson as the swarm reads it: its scenario file's plain object and its validated scenario. */
export interface SwarmLesson {
  readonly name: string;
  /** The scenario file as a plain object (parseScenarioDocument's `raw`). */
  readonly raw: Record<string, unknown>;
  readonly scenario: Scenario;
}

/** One generated case: the faults added to the lesson, and the seed of its run. */
export interface SwarmCase {
  readonly lesson: string;
  /** The case number k: fast-check draws the schedule from the lesson's seed and k; the run uses seed k. */
  readonly seed: number;
  readonly faults: readonly RawFault[];
}

export type FindingKind = 'simulator-error' | 'spec-violation' | 'replication-violation' | 'unexpected-violation';

/**
 * The checkers' forms of the replication invariants: replicas that disagree below their high
 * watermarks, two leaders in one epoch, records exposed below a high watermark that later
 * vanish. They hold whatever the producers' acks and the consumers do (a clean election picks
 * a replica that holds everything below the high watermark; leader epochs truncate what
 * diverged), so, like the online-spec invariants, they are judged on every lesson.
 */
const REPLICATION_KINDS: ReadonlySet<string> = new Set(['divergence', 'split-brain', 'hw-regression']);

export interface SwarmFinding {
  readonly kind: FindingKind;
  /** The violation kind, or the error's class name. */
  readonly what: string;
  readonly message: string;
}

/** What one case found, and how it was judged. */
export interface SwarmOutcome {
  readonly case: SwarmCase;
  /** Whether the faults (the lesson's and the generated ones) stay within what the lesson's configuration is designed to survive. */
  readonly withinDesign: boolean;
  /** Why not, when not. */
  readonly beyondDesign: readonly string[];
  /** The violation kinds the run found (empty after an error). */
  readonly kinds: readonly string[];
  /** The kinds that were allowed, and why. */
  readonly allowed: readonly string[];
  readonly findings: readonly SwarmFinding[];
  readonly skippedFaults: number;
  readonly events: number;
}

/**
 * What a lesson's configuration promises, read from its scenario. Every point cites the Kafka
 * behaviour it rests on; docs/sweeps.md states the whole rule.
 */
export interface LessonProfile {
  /** The lesson expects no violation: it must stay clean under faults within its design. */
  readonly expectsNone: boolean;
  /** The kinds the lesson expects. */
  readonly expected: readonly string[];
  /** Online-spec violations are part of this configuration's behaviour (and are not findings). */
  readonly specAllowedBecause?: string;
  /** The configuration gives committed records up when replicas fail (unclean election, a pre-KIP-101 truncation rule): no broker fault is within its design. */
  readonly losesCommittedBecause?: string;
  /** A single broker's power loss stays within the design (acks=all and min.insync.replicas >= 2 everywhere, or every append fsynced). */
  readonly survivesOnePowerLoss: boolean;
  /** Every append is fsynced (flush.messages=1): power losses lose nothing acknowledged. */
  readonly fsyncsEveryAppend: boolean;
  /** Violation kinds the configuration allows under faults, each with its reason. */
  readonly allowedUnderFaults: ReadonlyMap<string, string>;
  /** replica.lag.time.max.ms, in ms. */
  readonly replicaLagMs: number;
}

/** The lesson's promises (see {@link LessonProfile}). */
export function lessonProfile(s: Scenario): LessonProfile {
  const expect = s.expect?.violations ?? 'none';
  const cfg = s.cluster.config;
  const specExpected = expect !== 'none' && expect.some((k) => k.startsWith('spec:'));
  const unclean = cfg['unclean.leader.election.enable'] || s.topics.some((t) => t.config['unclean.leader.election.enable'] === true);
  const truncation = cfg['sim.truncation'];
  const losesCommittedBecause = unclean
    ? 'unclean.leader.election.enable=true elects replicas that lack committed records (the design documentation, "Unclean leader election: What if they all die?")'
    : truncation !== 'leader-epoch'
      ? `sim.truncation=${truncation} brings back a truncation rule Kafka has since fixed (KIP-101/KIP-279)`
      : undefined;
  const specAllowedBecause = specExpected ? 'the lesson expects an online-spec violation' : losesCommittedBecause;
  const minIsr = Math.min(cfg['min.insync.replicas'], ...s.topics.map((t) => t.config['min.insync.replicas'] ?? cfg['min.insync.replicas']));
  const producersAll = s.clients.every((c) => c.type !== 'producer' || c.config.acks === 'all');
  const fsyncsEveryAppend = cfg['flush.messages'] === 1;
  return {
    expectsNone: expect === 'none',
    expected: expect === 'none' ? [] : expect,
    ...(specAllowedBecause === undefined ? {} : { specAllowedBecause }),
    ...(losesCommittedBecause === undefined ? {} : { losesCommittedBecause }),
    survivesOnePowerLoss: fsyncsEveryAppend || (minIsr >= 2 && producersAll),
    fsyncsEveryAppend,
    allowedUnderFaults: allowedUnderFaults(s),
    replicaLagMs: cfg['replica.lag.time.max.ms'],
  };
}

/**
 * Violation kinds a configuration allows once faults strike, though the lesson without them
 * shows none:
 * - `duplicate` and `reorder` from a producer without idempotence: it retries a batch whose
 *   first attempt may have landed (ProducerConfig's `retries` doc: retries without idempotence
 *   may duplicate, and reorder with more than one request in flight);
 * - `reprocessed` from a consumer group that commits outside a transaction: a commit that
 *   fails or a rebalance caught between processing and committing hands records to the next
 *   owner again: Kafka's at-least-once delivery (the consumer's "Offsets and Consumer
 *   Position" javadoc);
 * - `lost-write` from a producer with acks=1 or acks=0, which a lesson pinning a release
 *   before 3.0 gets by default (KIP-679): the leader answers once its own log has the write
 *   (acks=1) or nobody answers at all (acks=0), so a leader that is cut off or stopped before
 *   its followers fetched it loses the write when a new leader takes over and it truncates
 *   (ProducerConfig's `acks` doc: "should the leader fail immediately after acknowledging the
 *   record but before the followers have replicated it then the record will be lost"; the
 *   acks1-leader-failover lesson).
 */
export function allowedUnderFaults(s: Scenario): ReadonlyMap<string, string> {
  const allowed = new Map<string, string>();
  if (s.clients.some((c) => c.type === 'producer' && c.config.acks !== 'all')) {
    allowed.set('lost-write', 'a producer with acks=1 or acks=0 is answered before the followers have its write; a leader change truncates it (ProducerConfig acks)');
  }
  if (s.clients.some((c) => c.type === 'producer' && !c.config['enable.idempotence'])) {
    const why = 'a producer without idempotence retries batches that may have landed (ProducerConfig retries)';
    allowed.set('duplicate', why);
    allowed.set('reorder', why);
  }
  if (s.clients.some((c) => c.type === 'consumer' || (c.type === 'processor' && c.processing.mode !== 'transactional'))) {
    allowed.set('reprocessed', 'a consumer group that commits outside a transaction delivers at least once');
  }
  const raft = raftFeaturesAt(s.cluster.version);
  if (!raft.preVote) allowed.set('disruptive-election', `Kafka ${s.cluster.version} has no pre-vote (KIP-996): a controller cut off or paused past the fetch timeout stands in a newer epoch`);
  if (!raft.checkQuorum) allowed.set('stale-controller', `Kafka ${s.cluster.version} has no check-quorum (KAFKA-15489): a leader cut off from the majority believes it still leads`);
  return allowed;
}

/** The schedule arbitrary for a lesson: every fault kind, over its brokers, its run and its partitions' leaders. */
export function lessonSchedule(s: Scenario): fc.Arbitrary<RawFault[]> {
  const partitions = s.topics.flatMap((t) => Array.from({ length: Math.min(t.partitions, LEADER_TARGETS_PER_TOPIC) }, (_, p) => `${t.name}-${p}`));
  const durationS = Math.floor(s.duration / 1_000_000);
  return faultSchedule({ brokers: s.cluster.brokers, durationS, maxFaults: MAX_FAULTS, kinds: SWARM_FAULT_KINDS, partitions }).filter((f) => f.length > 0);
}

/** The lesson's own fast-check seed: a hash of its name, so each lesson draws its own schedules. */
export function lessonSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** Case k of a lesson: the schedule fast-check draws from the lesson's seed and k. */
export function swarmCase(lesson: SwarmLesson, k: number): SwarmCase {
  const [faults] = fc.sample(lessonSchedule(lesson.scenario), { seed: (lessonSeed(lesson.name) + k) | 0, numRuns: 1 });
  return { lesson: lesson.name, seed: k, faults };
}

/** The lesson with the case's faults added after its own. */
export function scenarioWithFaults(lesson: SwarmLesson, faults: readonly RawFault[]): Scenario {
  const own = Array.isArray(lesson.raw.faults) ? (lesson.raw.faults as unknown[]) : [];
  return scenarioFromObject({ ...lesson.raw, faults: [...own, ...faults] }, `${lesson.name} with swarm faults`);
}

/** Notes whether any producer bumped its epoch (KIP-360), from the trace as it goes by. */
class EpochBumpSink implements TraceSink {
  bumped = false;
  write(record: TraceRecord): void {
    if (record.kind === 'producer.epoch') this.bumped = true;
  }
}

/** Runs one case and judges it. */
export function runSwarmCase(lesson: SwarmLesson, c: SwarmCase): SwarmOutcome {
  const profile = lessonProfile(lesson.scenario);
  let scenario: Scenario;
  try {
    scenario = scenarioWithFaults(lesson, c.faults);
  } catch (err) {
    // The generator drew a schedule the lesson refuses: a bug in the swarm, reported as an error.
    return judge(profile, c, { error: err, beyondDesign: [] });
  }
  const beyondDesign = faultsBeyondDesign(profile, scenario);
  const bumps = new EpochBumpSink();
  try {
    const r = runScenario(scenario, { seed: c.seed, sinks: [bumps] });
    return judge(profile, c, { violations: r.violations, epochBumped: bumps.bumped, skippedFaults: r.skippedFaults.length, events: r.stats.events, beyondDesign });
  } catch (err) {
    return judge(profile, c, { error: err, beyondDesign });
  }
}

/** What a run produced, for {@link judge}. */
export interface RunOutcome {
  readonly error?: unknown;
  readonly violations?: readonly Violation[];
  /** Whether a producer bumped its epoch during the run. */
  readonly epochBumped?: boolean;
  readonly skippedFaults?: number;
  readonly events?: number;
  /** {@link faultsBeyondDesign} of the run's faults. */
  readonly beyondDesign: readonly string[];
}

/** The verdict on one case: which of what the run found are findings. */
export function judge(profile: LessonProfile, c: SwarmCase, run: RunOutcome): SwarmOutcome {
  const base = { case: c, withinDesign: run.beyondDesign.length === 0, beyondDesign: run.beyondDesign, skippedFaults: run.skippedFaults ?? 0, events: run.events ?? 0 };
  if (run.error !== undefined) {
    const e = run.error;
    const what = e instanceof Error ? e.name : typeof e;
    const message = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    return { ...base, kinds: [], allowed: [], findings: [{ kind: 'simulator-error', what, message }] };
  }
  const violations = run.violations ?? [];
  const findings: SwarmFinding[] = [];
  const allowed = new Set<string>();
  const lost = kindAllowance(profile, 'lost-write', run) === undefined ? new Map<string, Set<string>>() : lostIds(violations);
  for (const v of violations) {
    const spec = v.kind.startsWith('spec:');
    const replication = REPLICATION_KINDS.has(v.kind);
    const why = spec || replication ? invariantAllowance(profile, v.kind, run.beyondDesign) : v.kind === 'unseen' && echoesLostWrites(v, lost) ? UNSEEN_LOST : kindAllowance(profile, v.kind, run);
    if (why !== undefined) allowed.add(`${v.kind}: ${why}`);
    else findings.push({ kind: spec ? 'spec-violation' : replication ? 'replication-violation' : 'unexpected-violation', what: v.kind, message: v.message });
  }
  return { ...base, kinds: [...new Set(violations.map((v) => v.kind))].sort(compareStrings), allowed: [...allowed].sort(compareStrings), findings };
}

/** Why an `unseen` that names only messages an allowed `lost-write` found lost is no finding. */
const UNSEEN_LOST = 'the messages are those lost-write found lost (allowed): a message gone from the log cannot be read';

/** The message ids of the run's lost-write violations, by partition (their details). */
function lostIds(violations: readonly Violation[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const v of violations) {
    const { partition, ids } = v.details;
    if (v.kind !== 'lost-write' || typeof partition !== 'string' || !Array.isArray(ids)) continue;
    const set = out.get(partition) ?? new Set<string>();
    for (const id of ids) if (typeof id === 'string') set.add(id);
    out.set(partition, set);
  }
  return out;
}

/** Whether an `unseen` violation names only messages of `lost` (the same partition's lost writes). */
function echoesLostWrites(v: Violation, lost: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const { partition, ids } = v.details;
  const set = typeof partition === 'string' ? lost.get(partition) : undefined;
  return set !== undefined && Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string' && set.has(id));
}

/** Why a violation of a replication invariant (online-spec or replication kind) is no finding, or undefined when it is one. */
function invariantAllowance(profile: LessonProfile, kind: string, beyondDesign: readonly string[]): string | undefined {
  if (profile.expected.includes(kind)) return 'the lesson expects it';
  if (profile.specAllowedBecause !== undefined) return profile.specAllowedBecause;
  return beyondDesign.length > 0 ? `beyond the design: ${beyondDesign.join('; ')}` : undefined;
}

/** Why a checker's violation is no finding, or undefined when it is one. */
function kindAllowance(profile: LessonProfile, kind: string, run: RunOutcome): string | undefined {
  if (!profile.expectsNone) return 'the lesson expects violations; only simulator errors and broken replication invariants are judged';
  if (run.beyondDesign.length > 0) return `beyond the design: ${run.beyondDesign.join('; ')}`;
  const reason = profile.allowedUnderFaults.get(kind);
  if (reason !== undefined) return reason;
  if ((kind === 'duplicate' || kind === 'reorder') && run.epochBumped === true) {
    // A successor keeps only each producer's last five batches (ProducerStateEntry), a restarted
    // leader's snapshot only the last one: after an OUT_OF_ORDER_SEQUENCE_NUMBER the producer
    // bumps its epoch and sends again what may have landed (KAFKA-14034; the
    // idempotent-leader-change and idempotent-full-restart lessons).
    return 'after a producer epoch bump (KIP-360), batches sent again from sequence 0 can land twice (KAFKA-14034)';
  }
  return undefined;
}

// ------------------------------------------------------------------ the design's limits

/** A span of time during which a fault keeps some broker down, cut off, slowed or paused: [from, to) in µs. */
interface FaultWindow {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Why the run's faults go beyond what the lesson's configuration is designed to survive
 * (empty when they do not):
 * - any broker fault, when the configuration gives up committed records as replicas fail
 *   (unclean election, a pre-KIP-101 truncation rule);
 * - a media fault (`disk` bit flips or truncation): Kafka detects a damaged batch by its
 *   CRC32C (LogSegment.recover on an unclean start; the fetch path's record validation) but
 *   never repairs a replica from another (the disk-rot-leader lesson);
 * - power losses beyond {@link powerLossWithinDesign}.
 */
export function faultsBeyondDesign(profile: LessonProfile, s: Scenario): string[] {
  const reasons: string[] = [];
  if (profile.losesCommittedBecause !== undefined && (s.nemesis !== undefined || faultWindows(s).length > 0)) reasons.push(profile.losesCommittedBecause);
  s.faults.forEach((f, i) => {
    if (f.action === 'disk') reasons.push(`fault ${i + 1} damages a disk (${f.fault})`);
  });
  const power = powerLossWithinDesign(profile, s);
  if (power !== undefined) reasons.push(power);
  return reasons;
}

/**
 * Kafka keeps an acknowledged write "as long as at least one in-sync replica remains alive"
 * (the design documentation, "Replicated Logs"), and it does not fsync by default: it relies
 * on replication, and a broker that lost power comes back without what its page cache held
 * (log.flush.interval.messages and flush.messages default to Long.MAX_VALUE; the docs'
 * "Application vs. OS Flush Management"). A power loss is therefore within the design only
 * when:
 * - every append is fsynced (flush.messages=1), or
 * - the configuration keeps every acknowledged write on two replicas (acks=all and
 *   min.insync.replicas >= 2 everywhere), exactly one broker loses power over the whole run,
 *   and no other broker is down, paused, cut off or slowed from replica.lag.time.max.ms (plus
 *   a margin to rejoin the ISR) before the power loss to the end of the run: otherwise the ISR
 *   may have shrunk to the broker that lost power, whose high watermark then exposed records
 *   no other replica holds (KIP-966's "last replica standing"). A nemesis counts as a fault
 *   that may strike at any time.
 * Returns why not, or undefined when the power losses stay within it.
 */
export function powerLossWithinDesign(profile: LessonProfile, s: Scenario): string | undefined {
  const powerIdx = s.faults.flatMap((f, i) => (f.action === 'crash' && f.mode === 'power' ? [i] : []));
  const nemesisPower = s.nemesis !== undefined && s.nemesis.kinds.includes('crash') && s.nemesis.crashModes.includes('power');
  if ((powerIdx.length === 0 && !nemesisPower) || profile.fsyncsEveryAppend) return undefined;
  if (!profile.survivesOnePowerLoss) return 'a broker loses power while acks or min.insync.replicas let a single replica hold acknowledged writes';
  if (nemesisPower) return 'the nemesis cuts the power of brokers';
  if (powerIdx.length > 1) return `${powerIdx.length} power losses`;
  const i = powerIdx[0];
  const power = s.faults[i];
  if (power.action !== 'crash' || !isSingleBroker(power.target)) return `fault ${i + 1} cuts the power of several brokers`;
  if (s.nemesis !== undefined) return 'a power loss while the nemesis strikes';
  const from = power.at - (profile.replicaLagMs + CATCH_UP_MARGIN_MS) * MICROS_PER_MS;
  const other = faultWindows(s).find((w) => w.index !== i && w.to > from);
  return other === undefined ? undefined : `fault ${i + 1} cuts a broker's power while fault ${other.index + 1} keeps another away`;
}

/** A target that names one broker (or the leader, or a follower, of one partition). */
function isSingleBroker(target: string): boolean {
  return /^(broker-\d+|leader\(.+\)|follower\(.+\)|coordinator\(.+\)|controller)$/.test(target);
}

/** A target that names a client (a producer, a consumer group member, a processor): no broker is affected. */
function isClient(target: string): boolean {
  return /^(member\(|producer-|consumer-|processor-)/.test(target);
}

/** The faults that keep brokers down, paused, cut off or slowed, each over its span (to the end of time when nothing ends it). */
function faultWindows(s: Scenario): FaultWindow[] {
  const end = Number.MAX_SAFE_INTEGER;
  const windows: FaultWindow[] = [];
  s.faults.forEach((f, index) => {
    const target = faultTarget(f);
    if (target !== undefined && isClient(target)) return;
    const from = f.at;
    switch (f.action) {
      case 'crash':
      case 'shutdown': {
        const restart = s.faults.find((g, j) => j > index && g.action === 'restart' && (g.target === f.target || g.target === 'all-brokers') && g.at >= f.at);
        windows.push({ index, from, to: restart === undefined ? end : restart.at });
        return;
      }
      case 'pause':
        windows.push({ index, from, to: f.at + f.for });
        return;
      case 'partition':
      case 'degrade': {
        const heal = s.faults.find((g, j) => j > index && g.action === 'heal' && g.at >= f.at && (g.name === undefined || g.name === f.name));
        windows.push({ index, from, to: heal === undefined ? end : heal.at });
        return;
      }
      default:
        return;
    }
  });
  return windows;
}

function faultTarget(f: ScenarioFault): string | undefined {
  if ('target' in f && typeof f.target === 'string') return f.target;
  if (f.action === 'partition' && f.isolate !== undefined) return f.isolate;
  return undefined;
}
