import { compareStrings } from '../../sim/order.js';
import { WireFormatError } from '../wire.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from '../consumer/consumerProtocol.js';
import type { GroupMetadataValue } from './offsetsTopic.js';
import { splitPartitionName } from '../protocol.js';

/**
 * One consumer group on its coordinator, under the classic group protocol, as Kafka's
 * GroupCoordinator and GroupMetadata run it (core/src/main/scala/kafka/coordinator/group):
 * the states Empty -> PreparingRebalance -> CompletingRebalance -> Stable (and Dead), member
 * ids handed out on a first JoinGroup (KIP-394), generations, the leader that computes the
 * assignment, static members that keep their place across restarts (KIP-345), session
 * timeouts, and offset commits checked against member and generation.
 *
 * It is a state machine without a network or a clock: the broker hands it requests with the
 * local time and calls `tick` for timeouts; JoinGroup and SyncGroup answer through callbacks
 * because Kafka holds them until the rebalance completes. Writing the group's state and its
 * offsets to `__consumer_offsets` is the caller's (see offsetsTopic.ts).
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export type GroupError =
  | 'MEMBER_ID_REQUIRED'
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'FENCED_INSTANCE_ID'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR';

export interface Protocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinRequest {
  /** Empty on a first join. */
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly clientId: string;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

export interface JoinResult {
  readonly error?: GroupError;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocol?: string;
  readonly leaderId?: string;
  /** For the leader only: every member and its metadata for the chosen protocol. */
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId?: string; readonly metadata: Uint8Array }[];
}

export interface SyncResult {
  readonly error?: GroupError;
  readonly assignment: Uint8Array;
}

export interface MemberRef {
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly generationId: number;
}

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /**
   * When the offset expires, for offsets written as brokers before Kafka 2.1 wrote them
   * (OffsetCommitValue v1: commit time plus offsets.retention.minutes). Without one, the
   * rules of KIP-211 decide (see expireOffsets).
   */
  readonly expireTimestamp?: number;
}

/** Why an offset expired, after GroupMetadata.removeExpiredOffsets's cases. */
export type OffsetExpiryBasis =
  /** Its own expire timestamp passed (an offset written the pre-2.1 way). */
  | 'expire-timestamp'
  /** The group has been Empty for the retention (KIP-211: counted from when it emptied). */
  | 'empty'
  /** A Stable consumer group's offset of a topic no member subscribes to, not committed for the retention. */
  | 'unsubscribed'
  /** A group with no protocol (a standalone consumer's commits), not committed for the retention. */
  | 'standalone';

export interface ExpiredOffset {
  readonly partition: string;
  readonly offset: CommittedOffset;
  readonly basis: OffsetExpiryBasis;
}

export interface GroupConfig {
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  readonly initialRebalanceDelayMs: number;
  /**
   * KAFKA-12890 (Kafka 2.8.1, 3.0): members that joined a generation but sent no SyncGroup
   * within the rebalance timeout are removed and the group rebalances (DelayedSync), instead
   * of holding it in CompletingRebalance until their sessions expire.
   */
  readonly expirePendingSync: boolean;
  /**
   * KAFKA-7610 (Kafka 2.2): a member that joined the group and still waits for its first
   * JoinGroup answer after this long is removed and answered UNKNOWN_MEMBER_ID
   * (GroupCoordinator.NewMemberJoinTimeoutMs, 5 minutes; MemberMetadata.isNew). Undefined,
   * as before 2.2, a new member waits as long as the rebalance does.
   */
  readonly newMemberJoinTimeoutMs?: number;
}

/** GroupCoordinator.NewMemberJoinTimeoutMs (KAFKA-7610). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

/** A group as DescribeGroups shows it (Kafka's GroupSummary and MemberSummary). */
export interface GroupSummary {
  readonly state: GroupState;
  readonly generation: number;
  readonly protocol: string | undefined;
  readonly leader: string | undefined;
  readonly members: readonly { readonly memberId: string; readonly clientId: string; readonly assignment: Uint8Array }[];
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = { initialRebalanceDelayMs: 3_000, expirePendingSync: true, newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS };

interface Member {
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly clientId: string;
  protocols: readonly Protocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  assignment: Uint8Array;
  lastHeartbeatMs: number;
  awaitingJoin?: (r: JoinResult) => void;
  awaitingSync?: (r: SyncResult) => void;
  /** MemberMetadata.isNew: when it joined, until its first JoinGroup is answered (KAFKA-7610). */
  newSinceMs?: number;
}

const EMPTY = new Uint8Array(0);

export class ConsumerGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | undefined;
  protocol: string | undefined;
  leaderId: string | undefined;
  private readonly members = new Map<string, Member>();
  /** Member ids handed out by MEMBER_ID_REQUIRED and not yet used to join (KIP-394). */
  private readonly pending = new Map<string, number>();
  private readonly staticMembers = new Map<string, string>();
  readonly offsets = new Map<string, CommittedOffset>();
  /** When the group last changed state (GroupMetadata.currentStateTimestamp): KIP-211 counts an Empty group's retention from it. */
  currentStateTimestamp: number | undefined;
  /**
   * The topics the members subscribe to, when the group knows them (a consumer group's
   * subscriptions parsed at each new generation, GroupMetadata.computeSubscribedTopics).
   */
  subscribedTopics: ReadonlySet<string> | undefined;
  /** When the rebalance in progress must complete, whoever has rejoined. */
  private rebalanceDeadlineMs = 0;
  /** A new group waits group.initial.rebalance.delay.ms for more members before completing. */
  private notBeforeMs = 0;
  /**
   * InitialDelayedJoin (KIP-134): while a new group's delay runs, how much of the rebalance
   * timeout is left to extend it by, and whether a member joined during the current stretch.
   * Undefined outside an initial delay.
   */
  private initialDelay: { remainingMs: number; newMemberAdded: boolean } | undefined;
  /** Members of this generation that have not sent SyncGroup yet (allPendingSyncMembers), and when they expire (DelayedSync). */
  private pendingSync = new Set<string>();
  private pendingSyncDeadlineMs = Number.POSITIVE_INFINITY;
  private nextMemberSeq = 0;

  constructor(
    readonly groupId: string,
    private readonly config: GroupConfig = DEFAULT_GROUP_CONFIG,
    /** Where new member ids come from: the coordinator's, unique across groups and restarts. */
    private readonly idFor: (clientId: string) => string = (clientId) => `${clientId}-${groupId}-${++this.nextMemberSeq}`,
  ) {}

  /**
   * What DescribeGroups answers (GroupMetadata.summary): the state, the protocol and each
   * member with its client id and assignment bytes. Read only, for the harness's probe.
   */
  summary(): GroupSummary {
    const members = [...this.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: m.assignment }));
    return { state: this.state, generation: this.generationId, protocol: this.protocol, leader: this.leaderId, members };
  }

  get memberIds(): string[] {
    return [...this.members.keys()];
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  /** A static member whose instance id now belongs to another member id was fenced (KIP-345). */
  private isFenced(memberId: string, groupInstanceId: string | undefined): boolean {
    if (groupInstanceId === undefined) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  private newMemberId(clientId: string): string {
    return this.idFor(clientId);
  }

  // ------------------------------------------------------------------ JoinGroup

  join(req: JoinRequest, nowMs: number, respond: (r: JoinResult) => void): void {
    const error = (e: GroupError, memberId = req.memberId): void => respond({ error: e, memberId, generationId: -1, members: [] });
    if (this.state === 'Dead') return error('COORDINATOR_NOT_AVAILABLE');
    if (!this.supports(req)) return error('INCONSISTENT_GROUP_PROTOCOL');
    if (req.memberId === '') {
      const newId = this.newMemberId(req.clientId);
      if (req.groupInstanceId !== undefined) {
        const old = this.staticMembers.get(req.groupInstanceId);
        if (old !== undefined) return this.replaceStaticMember(old, newId, req, nowMs, respond);
        return this.addMemberAndRebalance(newId, req, nowMs, respond);
      }
      // KIP-394: a dynamic member first gets its id, and joins again with it.
      this.pending.set(newId, nowMs + req.sessionTimeoutMs);
      return error('MEMBER_ID_REQUIRED', newId);
    }
    if (this.pending.has(req.memberId)) {
      this.pending.delete(req.memberId);
      return this.addMemberAndRebalance(req.memberId, req, nowMs, respond);
    }
    if (this.isFenced(req.memberId, req.groupInstanceId)) return error('FENCED_INSTANCE_ID');
    const member = this.members.get(req.memberId);
    if (member === undefined) return error('UNKNOWN_MEMBER_ID');
    member.lastHeartbeatMs = nowMs;
    switch (this.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(member, req, nowMs, respond);
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, req.protocols)) return respond(this.joinResult(member.memberId));
        return this.updateMemberAndRebalance(member, req, nowMs, respond);
      case 'Stable':
        // The leader rejoining, or changed metadata, starts a rebalance; a follower with
        // nothing new just learns the current generation.
        if (member.memberId === this.leaderId || !sameProtocols(member.protocols, req.protocols)) return this.updateMemberAndRebalance(member, req, nowMs, respond);
        return respond(this.joinResult(member.memberId));
      default:
        return error('UNKNOWN_MEMBER_ID');
    }
  }

  /**
   * GroupMetadata.supportsProtocols: an empty group takes any member that names a protocol
   * type and at least one protocol; a non-empty one only its own protocol type, and a
   * protocol every member supports.
   */
  private supports(req: JoinRequest): boolean {
    if (req.protocols.length === 0) return false;
    if (this.members.size === 0) return req.protocolType !== '';
    if (this.protocolType !== undefined && req.protocolType !== this.protocolType) return false;
    return this.candidateProtocols([...this.members.values()].map((m) => m.protocols).concat([req.protocols])).length > 0;
  }

  private addMemberAndRebalance(memberId: string, req: JoinRequest, nowMs: number, respond: (r: JoinResult) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      protocols: req.protocols,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      assignment: EMPTY,
      lastHeartbeatMs: nowMs,
      awaitingJoin: respond,
      newSinceMs: nowMs,
    };
    this.members.set(memberId, member);
    if (this.initialDelay !== undefined && this.state === 'PreparingRebalance') this.initialDelay.newMemberAdded = true;
    if (req.groupInstanceId !== undefined) this.staticMembers.set(req.groupInstanceId, memberId);
    this.protocolType ??= req.protocolType;
    if (this.leaderId === undefined) this.leaderId = memberId;
    this.prepareRebalance(nowMs);
  }

  private updateMemberAndRebalance(member: Member, req: JoinRequest, nowMs: number, respond: (r: JoinResult) => void): void {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.awaitingJoin = respond;
    this.prepareRebalance(nowMs);
  }

  /**
   * A static member restarted and rejoined with a new member id: it takes the old one's
   * place. In Stable or CompletingRebalance nothing is rebalanced (the point of KIP-345);
   * the old member id is fenced from now on.
   */
  private replaceStaticMember(oldId: string, newId: string, req: JoinRequest, nowMs: number, respond: (r: JoinResult) => void): void {
    const old = this.members.get(oldId);
    if (old === undefined) return this.addMemberAndRebalance(newId, req, nowMs, respond);
    this.members.delete(oldId);
    old.awaitingJoin?.({ error: 'FENCED_INSTANCE_ID', memberId: oldId, generationId: -1, members: [] });
    old.awaitingSync?.({ error: 'FENCED_INSTANCE_ID', assignment: EMPTY });
    const member: Member = { ...old, memberId: newId, clientId: req.clientId, lastHeartbeatMs: nowMs, awaitingJoin: undefined, awaitingSync: undefined };
    this.members.set(newId, member);
    this.staticMembers.set(req.groupInstanceId as string, newId);
    const wasLeader = this.leaderId === oldId;
    if (wasLeader) this.leaderId = newId;
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') {
      // Kafka answers with the old leader id, so a returning leader does not think it must
      // compute an assignment that a stable group would not hand out.
      return respond({ memberId: newId, generationId: this.generationId, protocol: this.protocol, leaderId: wasLeader ? oldId : this.leaderId, members: [] });
    }
    member.awaitingJoin = respond;
    this.prepareRebalance(nowMs);
  }

  private prepareRebalance(nowMs: number): void {
    if (this.state === 'CompletingRebalance') {
      // Members waiting for their assignment must rejoin instead.
      for (const m of this.members.values()) {
        m.awaitingSync?.({ error: 'REBALANCE_IN_PROGRESS', assignment: EMPTY });
        m.awaitingSync = undefined;
      }
    }
    if (this.state !== 'PreparingRebalance') {
      const wasEmpty = this.state === 'Empty';
      this.transitionTo('PreparingRebalance', nowMs);
      const rebalanceTimeoutMs = this.rebalanceTimeoutMs();
      this.rebalanceDeadlineMs = nowMs + rebalanceTimeoutMs;
      this.notBeforeMs = wasEmpty ? nowMs + this.config.initialRebalanceDelayMs : nowMs;
      // GroupCoordinator.prepareRebalance: an Empty group waits in an InitialDelayedJoin.
      this.initialDelay = wasEmpty ? { remainingMs: Math.max(rebalanceTimeoutMs - this.config.initialRebalanceDelayMs, 0), newMemberAdded: false } : undefined;
    }
    this.tryCompleteJoin(nowMs);
  }

  /** GroupMetadata.rebalanceTimeoutMs: the longest of its members'. */
  private rebalanceTimeoutMs(): number {
    return Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
  }

  /**
   * InitialDelayedJoin.onComplete: when a stretch of the initial delay ends and members joined
   * during it, wait another min(group.initial.rebalance.delay.ms, what is left of the
   * rebalance timeout). Whether the delay is still running.
   */
  private extendInitialDelay(nowMs: number): boolean {
    const delay = this.initialDelay;
    if (delay === undefined) return false;
    if (nowMs < this.notBeforeMs) return true;
    if (!delay.newMemberAdded || delay.remainingMs === 0) return false;
    const stretch = Math.min(this.config.initialRebalanceDelayMs, delay.remainingMs);
    this.notBeforeMs = nowMs + stretch;
    this.initialDelay = { remainingMs: Math.max(delay.remainingMs - stretch, 0), newMemberAdded: false };
    return true;
  }

  /**
   * Completes the join phase once every member has rejoined and no member id handed out by
   * MEMBER_ID_REQUIRED is still waiting to join with it (GroupMetadata.hasAllMembersJoined:
   * `pendingMembers.isEmpty`), or at the deadline; a new group's, when its initial delay ends.
   */
  private tryCompleteJoin(nowMs: number): void {
    if (this.state !== 'PreparingRebalance') return;
    const all = [...this.members.values()];
    if (this.initialDelay !== undefined) {
      if (this.extendInitialDelay(nowMs)) return;
    } else if (nowMs < this.rebalanceDeadlineMs && !(all.every((m) => m.awaitingJoin !== undefined) && this.pending.size === 0)) return;
    this.initialDelay = undefined;
    // Members that did not rejoin in time are out.
    for (const m of all) if (m.awaitingJoin === undefined) this.removeMember(m);
    this.generationId++;
    if (this.members.size === 0) {
      this.protocol = undefined;
      this.leaderId = undefined;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
      return;
    }
    this.protocol = this.selectProtocol();
    if (this.leaderId === undefined || !this.members.has(this.leaderId)) this.leaderId = [...this.members.keys()][0];
    this.subscribedTopics = this.computeSubscribedTopics();
    this.transitionTo('CompletingRebalance', nowMs);
    // GroupCoordinator.schedulePendingSync (KAFKA-12890).
    this.pendingSync = new Set(this.members.keys());
    this.pendingSyncDeadlineMs = this.config.expirePendingSync ? nowMs + this.rebalanceTimeoutMs() : Number.POSITIVE_INFINITY;
    for (const m of this.members.values()) {
      const respond = m.awaitingJoin;
      m.awaitingJoin = undefined;
      m.newSinceMs = undefined;
      m.lastHeartbeatMs = nowMs;
      respond?.(this.joinResult(m.memberId));
    }
  }

  private joinResult(memberId: string): JoinResult {
    const isLeader = memberId === this.leaderId;
    const members = isLeader
      ? [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY }))
      : [];
    return { memberId, generationId: this.generationId, protocol: this.protocol, leaderId: this.leaderId, members };
  }

  private candidateProtocols(lists: readonly (readonly Protocol[])[]): string[] {
    if (lists.length === 0) return [];
    return lists[0].map((p) => p.name).filter((name) => lists.every((l) => l.some((p) => p.name === name)));
  }

  /** Each member votes for its most preferred protocol that all support; the most votes win (ties: by name). */
  private selectProtocol(): string {
    const all = [...this.members.values()];
    const candidates = this.candidateProtocols(all.map((m) => m.protocols));
    const votes = new Map<string, number>();
    for (const m of all) {
      const vote = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    return [...votes].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0][0];
  }

  // ------------------------------------------------------------------ SyncGroup

  sync(req: MemberRef & { readonly assignments?: ReadonlyMap<string, Uint8Array> }, nowMs: number, respond: (r: SyncResult) => void): void {
    const error = (e: GroupError): void => respond({ error: e, assignment: EMPTY });
    if (this.state === 'Dead') return error('COORDINATOR_NOT_AVAILABLE');
    if (this.isFenced(req.memberId, req.groupInstanceId)) return error('FENCED_INSTANCE_ID');
    const member = this.members.get(req.memberId);
    if (member === undefined) return error('UNKNOWN_MEMBER_ID');
    if (req.generationId !== this.generationId) return error('ILLEGAL_GENERATION');
    member.lastHeartbeatMs = nowMs;
    if (this.state === 'CompletingRebalance' || this.state === 'Stable') this.pendingSync.delete(req.memberId);
    switch (this.state) {
      case 'Empty':
        return error('UNKNOWN_MEMBER_ID');
      case 'PreparingRebalance':
        return error('REBALANCE_IN_PROGRESS');
      case 'Stable':
        return respond({ assignment: member.assignment });
      case 'CompletingRebalance':
        member.awaitingSync = respond;
        if (req.memberId === this.leaderId && req.assignments !== undefined) {
          // Members the leader left out get an empty assignment.
          for (const m of this.members.values()) m.assignment = req.assignments.get(m.memberId) ?? EMPTY;
          this.transitionTo('Stable', nowMs);
          for (const m of this.members.values()) {
            const answer = m.awaitingSync;
            m.awaitingSync = undefined;
            answer?.({ assignment: m.assignment });
          }
        }
        return;
    }
  }

  // ------------------------------------------------------------------ Heartbeat, LeaveGroup, timeouts

  heartbeat(req: MemberRef, nowMs: number): GroupError | undefined {
    if (this.state === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (this.isFenced(req.memberId, req.groupInstanceId)) return 'FENCED_INSTANCE_ID';
    const member = this.members.get(req.memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (req.generationId !== this.generationId) return 'ILLEGAL_GENERATION';
    if (this.state === 'Empty') return 'UNKNOWN_MEMBER_ID';
    member.lastHeartbeatMs = nowMs;
    return this.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : undefined;
  }

  leave(memberId: string, groupInstanceId: string | undefined, nowMs: number): GroupError | undefined {
    if (this.state === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (memberId !== '' && this.isFenced(memberId, groupInstanceId)) return 'FENCED_INSTANCE_ID';
    if (this.pending.delete(memberId)) {
      // GroupCoordinator.removePendingMemberAndUpdateGroup: the join may now complete.
      this.tryCompleteJoin(nowMs);
      return undefined;
    }
    const id = groupInstanceId !== undefined ? (this.staticMembers.get(groupInstanceId) ?? memberId) : memberId;
    const member = this.members.get(id);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    this.removeMember(member);
    this.afterMemberLeft(nowMs);
    return undefined;
  }

  /**
   * Time passes: members silent for session.timeout.ms are removed (Kafka's heartbeat
   * purgatory), pending member ids expire, and a rebalance whose members have all rejoined
   * or whose deadline passed completes.
   */
  tick(nowMs: number): void {
    for (const [id, expiry] of [...this.pending]) if (nowMs >= expiry) this.pending.delete(id);
    let removed = false;
    for (const m of [...this.members.values()]) {
      // MemberMetadata.shouldKeepAlive: a member waiting in a JoinGroup is covered by the
      // rebalance deadline instead, and one waiting in a SyncGroup is kept while it waits.
      if (m.awaitingJoin === undefined && m.awaitingSync === undefined && nowMs - m.lastHeartbeatMs > m.sessionTimeoutMs) {
        this.removeMember(m);
        removed = true;
      } else if (this.newMemberJoinExpired(m, nowMs)) {
        // GroupCoordinator.removeMemberAndUpdateGroup: its JoinGroup is answered UNKNOWN_MEMBER_ID; if it is still there it joins again.
        const respond = m.awaitingJoin;
        this.removeMember(m);
        respond?.({ error: 'UNKNOWN_MEMBER_ID', memberId: m.memberId, generationId: -1, members: [] });
        removed = true;
      }
    }
    if (this.expirePendingSync(nowMs)) removed = true;
    if (removed) this.afterMemberLeft(nowMs);
    this.tryCompleteJoin(nowMs);
  }

  /** MemberMetadata.hasSatisfiedHeartbeat for a new member (KAFKA-7610): its first JoinGroup waited NewMemberJoinTimeoutMs. */
  private newMemberJoinExpired(m: Member, nowMs: number): boolean {
    const limit = this.config.newMemberJoinTimeoutMs;
    return limit !== undefined && m.awaitingJoin !== undefined && m.newSinceMs !== undefined && nowMs - m.newSinceMs > limit;
  }

  /**
   * GroupCoordinator.onExpirePendingSync (KAFKA-12890): the rebalance timeout after the join
   * completed, members that still sent no SyncGroup are removed. Whether any was.
   */
  private expirePendingSync(nowMs: number): boolean {
    if (nowMs < this.pendingSyncDeadlineMs) return false;
    this.pendingSyncDeadlineMs = Number.POSITIVE_INFINITY;
    if (this.state !== 'CompletingRebalance' && this.state !== 'Stable') return false;
    const late = [...this.pendingSync].map((id) => this.members.get(id)).filter((m) => m !== undefined);
    this.pendingSync.clear();
    for (const m of late) this.removeMember(m);
    return late.length > 0;
  }

  /** Kafka's GroupMetadata.transitionTo: the new state, and when it began. */
  private transitionTo(state: GroupState, nowMs: number): void {
    this.state = state;
    this.currentStateTimestamp = nowMs;
  }

  /**
   * GroupMetadata.computeSubscribedTopics: a consumer group's topics are the union of its
   * members' subscriptions for the chosen protocol; an empty consumer group has none; any
   * other group, or a subscription that does not parse, leaves them unknown.
   */
  private computeSubscribedTopics(): ReadonlySet<string> | undefined {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return undefined;
    if (this.members.size === 0) return new Set();
    const protocol = this.protocol;
    if (protocol === undefined) return undefined;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const metadata = m.protocols.find((p) => p.name === protocol)?.metadata;
        if (metadata === undefined) return undefined;
        for (const t of decodeSubscription(metadata).topics) topics.add(t);
      }
    } catch (err) {
      if (err instanceof WireFormatError || err instanceof RangeError) return undefined;
      throw err;
    }
    return topics;
  }

  private removeMember(m: Member): void {
    this.members.delete(m.memberId);
    if (m.groupInstanceId !== undefined && this.staticMembers.get(m.groupInstanceId) === m.memberId) this.staticMembers.delete(m.groupInstanceId);
    if (this.leaderId === m.memberId) this.leaderId = this.members.keys().next().value;
  }

  private afterMemberLeft(nowMs: number): void {
    if (this.members.size === 0 && this.state !== 'PreparingRebalance') {
      this.generationId++;
      this.protocol = undefined;
      this.leaderId = undefined;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
      return;
    }
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance(nowMs);
    else this.tryCompleteJoin(nowMs);
  }

  // ------------------------------------------------------------------ offsets

  /**
   * OffsetCommit (Kafka's doCommitOffsets for the classic protocol): an Empty group takes
   * commits from outside it (generation -1, as admin tools and standalone consumers send);
   * otherwise only a current member, in the current generation, and not while the group
   * waits for its assignment.
   */
  commit(req: MemberRef, offsets: ReadonlyMap<string, CommittedOffset>, nowMs: number): GroupError | undefined {
    const error = this.checkCommit(req, nowMs);
    if (error === undefined) this.applyOffsets(offsets);
    return error;
  }

  /**
   * The validation half of a commit: the coordinator checks first, writes the offsets to
   * `__consumer_offsets`, and applies them only once the write is committed (Kafka's
   * GroupMetadataManager.storeOffsets keeps them pending until then).
   */
  checkCommit(req: MemberRef, nowMs: number): GroupError | undefined {
    if (this.state === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (this.isFenced(req.memberId, req.groupInstanceId)) return 'FENCED_INSTANCE_ID';
    if (req.generationId < 0 && this.state === 'Empty') return undefined;
    // GroupCoordinator.validateOffsetCommit checks the member and its generation first;
    // only a current member in the current generation hears REBALANCE_IN_PROGRESS while the
    // group waits for its assignment (doCommitOffsets, CompletingRebalance).
    const member = this.members.get(req.memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (req.generationId !== this.generationId) return 'ILLEGAL_GENERATION';
    if (this.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    member.lastHeartbeatMs = nowMs;
    return undefined;
  }

  applyOffsets(offsets: ReadonlyMap<string, CommittedOffset>): void {
    for (const [tp, o] of offsets) this.offsets.set(tp, o);
  }

  /**
   * Removes and returns the offsets that have expired at `nowMs`, skipping partitions for
   * which `pending` says a commit is being written. Two rule sets:
   *
   * - `kip-211` (Kafka 2.1 on; GroupMetadata.removeExpiredOffsets, now
   *   ClassicGroup.offsetExpirationCondition with OffsetMetadataManager.cleanupExpiredOffsets):
   *   an offset carrying its own expire timestamp expires by it; otherwise an Empty group's
   *   offsets expire `retentionMs` after it became Empty, a Stable consumer group's only for
   *   topics no member subscribes to (by commit time), a group with no protocol (standalone
   *   commits) by commit time, and in any other case none.
   * - `commit-timestamp` (before KIP-211): every offset expires by its expire timestamp
   *   (commit time plus retention), whatever the group is doing, so a live group that has
   *   not committed a partition for the retention loses its offset.
   */
  expireOffsets(nowMs: number, retentionMs: number, rule: 'kip-211' | 'commit-timestamp', pending: (partition: string) => boolean): ExpiredOffset[] {
    const expired: ExpiredOffset[] = [];
    const consider = (partition: string, o: CommittedOffset, due: boolean, basis: OffsetExpiryBasis): void => {
      if (due && !pending(partition)) expired.push({ partition, offset: o, basis });
    };
    for (const [partition, o] of this.offsets) {
      if (rule === 'commit-timestamp') {
        // Kafka before 2.1: offset.expireTimestamp < now.
        consider(partition, o, (o.expireTimestamp ?? o.commitTimestamp + retentionMs) < nowMs, 'expire-timestamp');
        continue;
      }
      const byOwnTimestamp = o.expireTimestamp !== undefined;
      if (this.protocolType !== undefined && this.state === 'Empty') {
        const base = this.currentStateTimestamp ?? o.commitTimestamp;
        consider(partition, o, byOwnTimestamp ? nowMs >= (o.expireTimestamp as number) : nowMs - base >= retentionMs, byOwnTimestamp ? 'expire-timestamp' : 'empty');
      } else if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics !== undefined && this.state === 'Stable') {
        if (this.subscribedTopics.has(splitPartitionName(partition)[0])) continue;
        consider(partition, o, byOwnTimestamp ? nowMs >= (o.expireTimestamp as number) : nowMs - o.commitTimestamp >= retentionMs, byOwnTimestamp ? 'expire-timestamp' : 'unsubscribed');
      } else if (this.protocolType === undefined) {
        consider(partition, o, byOwnTimestamp ? nowMs >= (o.expireTimestamp as number) : nowMs - o.commitTimestamp >= retentionMs, byOwnTimestamp ? 'expire-timestamp' : 'standalone');
      }
    }
    for (const e of expired) this.offsets.delete(e.partition);
    return expired;
  }

  /** An Empty group with no offsets left is over (GroupMetadataManager.cleanupGroupMetadata moves it to Dead). */
  get isDisposable(): boolean {
    return this.state === 'Empty' && this.offsets.size === 0;
  }

  /** Moves the group to Dead: its coordinator forgets it. */
  markDead(): void {
    this.state = 'Dead';
  }

  // ------------------------------------------------------------------ persistence

  /** What `__consumer_offsets` keeps of the group (GroupMetadataManager.groupMetadataValue). */
  snapshot(nowMs: number): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? 'consumer',
      generation: this.generationId,
      protocol: this.protocol ?? null,
      leader: this.leaderId ?? null,
      // GroupMetadataManager.groupMetadataValue writes currentStateTimestampOrDefault.
      currentStateTimestamp: this.currentStateTimestamp ?? nowMs,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        clientHost: '/sim',
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  /**
   * A coordinator that takes over loads the group as last written (Kafka's
   * GroupMetadataManager.loadGroup): a group with members comes back Stable, and each
   * member's session starts afresh, since heartbeats went to the old coordinator.
   */
  restore(value: GroupMetadataValue, nowMs: number): void {
    this.generationId = value.generation;
    this.protocolType = value.protocolType;
    this.protocol = value.protocol ?? undefined;
    this.leaderId = value.leader ?? undefined;
    this.members.clear();
    this.staticMembers.clear();
    for (const m of value.members) {
      const member: Member = {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? undefined,
        clientId: m.clientId,
        protocols: this.protocol === undefined ? [] : [{ name: this.protocol, metadata: m.subscription }],
        sessionTimeoutMs: m.sessionTimeout,
        rebalanceTimeoutMs: m.rebalanceTimeout,
        assignment: m.assignment,
        lastHeartbeatMs: nowMs,
      };
      this.members.set(m.memberId, member);
      if (member.groupInstanceId !== undefined) this.staticMembers.set(member.groupInstanceId, m.memberId);
      const seq = Number(/-(\d+)$/.exec(m.memberId)?.[1] ?? 0);
      if (seq > this.nextMemberSeq) this.nextMemberSeq = seq;
    }
    this.state = this.members.size === 0 ? 'Empty' : 'Stable';
    // GroupMetadata.loadGroup: the state's timestamp as written, the topics from the subscriptions.
    this.currentStateTimestamp = value.currentStateTimestamp;
    this.subscribedTopics = this.computeSubscribedTopics();
  }

  /** The coordinator moved away: answer everyone waiting, and take no more requests. */
  unload(): void {
    for (const m of this.members.values()) {
      m.awaitingJoin?.({ error: 'NOT_COORDINATOR', memberId: m.memberId, generationId: -1, members: [] });
      m.awaitingSync?.({ error: 'NOT_COORDINATOR', assignment: EMPTY });
      m.awaitingJoin = undefined;
      m.awaitingSync = undefined;
    }
    this.state = 'Dead';
  }

  /** Whether `memberId` would pass the checks of a commit in `generationId` (for the stale-commit ghost). */
  isCurrent(memberId: string, groupInstanceId: string | undefined, generationId: number): boolean {
    if (generationId < 0) return this.state === 'Empty';
    return !this.isFenced(memberId, groupInstanceId) && this.members.has(memberId) && generationId === this.generationId;
  }

  fetchOffset(topicPartition: string): CommittedOffset | undefined {
    return this.offsets.get(topicPartition);
  }
}

function sameProtocols(a: readonly Protocol[], b: readonly Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && Buffer.from(p.metadata).equals(Buffer.from(b[i].metadata)));
}
