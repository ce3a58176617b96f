import { parseTarget } from '../network/faultTarget.js';
import { memberNode } from '../nodes/nodeId.js';
import { formatDuration, millis, type Duration } from '../sim/time.js';
import type { ConsumerClient, ProducerClient, Scenario, ScenarioFault } from './schema.js';

/**
 * Traps Kafka users fall into, found in a valid scenario before it runs: settings that are
 * legal but make the run answer another question than the one asked. A warning is not an
 * error: the run goes on, and its summary repeats the warning.
 */
export interface ScenarioWarning {
  /** The field it is about, as the loader's issues name fields. */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * How long a new group takes, beyond group.initial.rebalance.delay.ms, before its members
 * have their partitions. Groups of four starting at 0 s (the starter scenario) are assigned
 * at 6.3 s; the trace says why:
 * - 0 to 0.02 s: the brokers register and are unfenced, heartbeating every 10 ms while
 *   STARTING and at once when caught up (BrokerLifecycleManager), so topics (and
 *   __consumer_offsets) have leaders almost at once.
 * - about 0.3 s: FindCoordinator, retried every retry.backoff.ms until the coordinator's
 *   partition has a leader, then JoinGroup (MEMBER_ID_REQUIRED, KIP-394, and the join again).
 * - 0.3 to 6.3 s: the initial delay, twice: Kafka's InitialDelayedJoin extends the delay by
 *   group.initial.rebalance.delay.ms once more when members joined during it
 *   (GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule, newMemberAdded), which
 *   the group's other members do, all starting together. So 3 s of this allowance is Kafka's
 *   own behaviour; the rest is start-up, SyncGroup, ListOffsets and the first fetch, with
 *   room for a slower start (an election of the controller quorum, a lossy network).
 */
const FIRST_ASSIGNMENT_ALLOWANCE = millis(6_000);

/** Every warning of a scenario, in the order of its clients and faults. */
export function scenarioWarnings(s: Scenario): ScenarioWarning[] {
  const out: ScenarioWarning[] = [];
  s.clients.forEach((c, i) => {
    if (c.type !== 'consumer') return;
    out.push(...latestAfterProducer(s, c, i), ...commitModeMismatch(c, i));
  });
  out.push(...sessionsOutlastingRun(s));
  return out;
}

/**
 * auto.offset.reset latest in a group that gets its partitions after a producer started
 * writing to them: a new group has no committed offsets, so it starts at the log end
 * (ConsumerConfig.AUTO_OFFSET_RESET_DOC; SubscriptionState.resetInitializingPositions), and
 * whatever was written before is never read: the checkers report it as `unseen`.
 */
function latestAfterProducer(s: Scenario, c: ConsumerClient, i: number): ScenarioWarning[] {
  if (c.config['auto.offset.reset'] !== 'latest') return [];
  const joined = c.start + millis(s.cluster.config['group.initial.rebalance.delay.ms']) + FIRST_ASSIGNMENT_ALLOWANCE;
  const early = s.clients.filter((p): p is ProducerClient => p.type === 'producer' && c.topics.includes(p.topic) && p.workload.start < joined);
  return early.map((p) => ({
    path: ['clients', i, 'config', 'auto.offset.reset'],
    message:
      `group ${c.group} starts at ${formatDuration(c.start)} with auto.offset.reset latest, and ${p.id} writes to ${p.topic} from ${formatDuration(p.workload.start)}: ` +
      `a new group starts at the log end once it has its partitions (seconds after its members start: group.initial.rebalance.delay.ms, finding the coordinator, the join), so the records written before are never read and are reported as unseen. ` +
      'Set auto.offset.reset: earliest, or start the producer later',
  }));
}

/**
 * The consumer's commits and the processing mode disagree: auto-commit as the mode with
 * enable.auto.commit false never commits anything (every restart or rebalance starts again
 * from auto.offset.reset); a manual mode with enable.auto.commit true also commits in the
 * background every auto.commit.interval.ms (ConsumerCoordinator.maybeAutoCommitOffsetsAsync),
 * so positions of records not yet processed can be committed, and the mode's guarantee is lost.
 */
function commitModeMismatch(c: ConsumerClient, i: number): ScenarioWarning[] {
  const auto = c.config['enable.auto.commit'];
  const path = ['clients', i, 'config', 'enable.auto.commit'];
  if (auto === false && c.processing.mode === 'auto-commit') {
    return [{ path, message: `${c.id} has enable.auto.commit false with processing mode auto-commit: nothing ever commits its offsets, so every restart and rebalance starts again from auto.offset.reset (${c.config['auto.offset.reset']}). Set enable.auto.commit: true, or a commit mode (commit-after-process)` }];
  }
  if (auto === true && c.processing.mode !== 'auto-commit') {
    return [{ path, message: `${c.id} has enable.auto.commit true with processing mode ${c.processing.mode}: besides its own commits, the consumer commits its positions every auto.commit.interval.ms, whether the records were processed or not, which undoes what ${c.processing.mode} guarantees. Set enable.auto.commit: false, as applications that commit themselves do` }];
  }
  return [];
}

/**
 * A group member crashed, paused or cut off too late for its session to expire before the
 * run ends: the coordinator removes a silent member only after session.timeout.ms
 * (GroupCoordinator's heartbeat expiration), so its partitions stay with it, unread, until
 * the checkers judge, and the run shows a stalled group, not what a rebalance would do.
 */
function sessionsOutlastingRun(s: Scenario): ScenarioWarning[] {
  const end = s.duration + s.drain;
  const out: ScenarioWarning[] = [];
  s.faults.forEach((f, i) => {
    if (f.action !== 'crash' && f.action !== 'pause' && f.action !== 'partition') return;
    for (const c of membersHit(s, f)) {
      const session = millis(c.config['session.timeout.ms']);
      const left = Math.min(end, f.action === 'pause' ? f.at + f.for : f.action === 'partition' ? healAt(s, f.at, f.name) : end) - f.at;
      if (left >= session || (f.action === 'crash' && restartedWithin(s, c, f.at, session))) continue;
      const until = f.action === 'crash' || left === end - f.at ? 'the run ends' : `the ${f.action} ends`;
      out.push({
        path: ['faults', i, 'at'],
        message: `this ${f.action} hits ${c.id}'s members at ${formatDuration(f.at)}, ${formatDuration(left)} before ${until}, but its session.timeout.ms is ${formatDuration(session)}: the coordinator cannot notice the member is gone, so its partitions are not reassigned within the run. Strike earlier, lengthen drain, or lower session.timeout.ms`,
      });
    }
  });
  return out;
}

/** When a partition started at `at` heals: at the first heal after it of its name, or of every partition; else when the drain begins (runner.ts runAndDrain heals the network). */
function healAt(s: Scenario, at: Duration, name: string | undefined): number {
  const heal = s.faults.find((h) => h.action === 'heal' && h.at >= at && (h.name === undefined || h.name === name));
  return heal === undefined ? s.duration : heal.at;
}

/** The consumer groups whose members a fault's target (or isolate) names, as written (a leader or a broker hits no member). */
function membersHit(s: Scenario, f: ScenarioFault): ConsumerClient[] {
  return groupsNamed(s, 'target' in f && f.target !== undefined ? [f.target] : 'isolate' in f && f.isolate !== undefined ? [f.isolate] : []);
}

function groupsNamed(s: Scenario, texts: readonly string[]): ConsumerClient[] {
  const hit = new Set<string>();
  for (const text of texts) {
    const t = parseTarget(text);
    if (t.kind === 'member') hit.add(t.client);
    if (t.kind === 'client') hit.add(t.id);
    if (t.kind === 'node') for (const c of s.clients) if (c.type === 'consumer' && Array.from({ length: c.instances }, (_, n) => memberNode(c.id, n + 1)).includes(t.id)) hit.add(c.id);
  }
  return s.clients.filter((c): c is ConsumerClient => c.type === 'consumer' && hit.has(c.id));
}

/** Whether a restart of the consumer's members follows a crash at `at` within `within`: a member back in time keeps (or rejoins) its place. */
function restartedWithin(s: Scenario, c: ConsumerClient, at: Duration, within: Duration): boolean {
  return s.faults.some((f) => f.action === 'restart' && f.at >= at && f.at - at < within && groupsNamed(s, [f.target]).includes(c));
}
