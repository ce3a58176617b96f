/**
 * The controller quorum's invariants checked online in a scenario run, as Kafka's
 * RaftEventSimulationTest checks them after every event of its simulated cluster
 * (EventScheduler.runUntil: its Invariants after each event, its Validations as each run
 * ends): SingleLeader, MonotonicEpoch, MonotonicHighWatermark, MajorityReachedHighWatermark,
 * ConsistentCommittedData, and for the brokers' metadata logs the MetadataLogMatchingProperty
 * of the kafka-tlaplus specification (see raftInvariants.ts). Here "after every event" is after
 * every event that changes a quorum member's state or log, at the moment it does: each Raft
 * trace record. ConsistentCommittedData is checked incrementally at those moments too, so a
 * committed record that changes is reported at the event that changed it, not at the end.
 */
import type { Trace } from '../sim/trace.js';
import { RaftInvariants, type RaftMemberView, type RaftViolation } from '../nodes/controller/raft/raftInvariants.js';

/** The trace kinds a quorum member emits when its state, log or high watermark changes (kafkaRaftClient.ts). */
const RAFT_EVENTS = ['raft.state', 'raft.hw', 'raft.append', 'raft.truncate', 'raft.snapshot', 'raft.log-start'] as const;

export class OnlineRaftChecks {
  private readonly invariants = new RaftInvariants();
  private handedOver = 0;

  /**
   * @param members the quorum's members as the invariants read them (ClusterProbe.quorumMembers)
   * @param onViolation hears each violation once, as it is found
   */
  constructor(
    private readonly members: () => readonly RaftMemberView[],
    private readonly onViolation: (v: RaftViolation) => void,
  ) {}

  attach(trace: Trace): void {
    for (const kind of RAFT_EVENTS) trace.observe(kind, (r) => this.check(r.at));
  }

  /** Every invariant on the quorum as it is now; also what a run's end calls, as Kafka's test validates at the end. */
  check(at: number): void {
    const views = this.members();
    this.invariants.verify(views, at);
    this.invariants.validate(views, at);
    const found = this.invariants.violations;
    for (; this.handedOver < found.length; this.handedOver++) this.onViolation(found[this.handedOver]);
  }
}
