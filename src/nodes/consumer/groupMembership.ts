import type { NodeContext, RpcError } from '../../network/nodeHost.js';
import type { History } from '../../sim/history.js';
import { millis } from '../../sim/time.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { brokerNode, message, type KafkaMessage } from '../protocol.js';
import { assign, type AssignorName, type MemberSubscription } from './assignors.js';
import type { TopicPartition } from '../../log/topicPartition.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumerProtocol.js';
import type { ConsumerConfig } from './consumer.js';
import { COORDINATOR_ERRORS } from './coordinatorErrors.js';
import type { Fetcher } from './fetcher.js';
import type { KafkaErrorCode } from '../errors.js';

type JoinState = 'unjoined' | 'joining' | 'stable';

/** What a member's group protocol needs from the consumer it belongs to. */
export interface MembershipHost {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: ConsumerConfig;
  readonly group: string;
  readonly topics: readonly string[];
  readonly clientId: string;
  /** The instance number (from 1): a static member's group.instance.id ends with it. */
  readonly index: number;
  /** The member's name in the history ("c1-2"). */
  readonly member: string;
  readonly history: History;
  readonly brokers: readonly number[];
  readonly fetcher: Fetcher;
  partitionCounts(): Readonly<Record<string, number>>;
  partitionCountsKnown(): boolean;
  refreshMetadata(): void;
  /** commitSync of the positions (auto-commit before a rebalance). */
  commitSync(done: () => void): void;
  /** When the application last called poll(), on the local clock. */
  lastPollAt(): number;
}

/**
 * A member's side of the classic group protocol (Kafka's AbstractCoordinator and
 * ConsumerCoordinator): finding the coordinator, JoinGroup (with KIP-394 member ids) and
 * SyncGroup, the leader's assignment, eager or cooperative (KIP-429) revocation, the
 * heartbeat thread with its max.poll.interval.ms check, and LeaveGroup. Its fields are the
 * membership's state; the consumer reads them to decide what its application may do.
 */
export class GroupMembership {
  /** The coordinator's broker id; -1 while unknown. */
  coordinator = -1;
  private findingCoordinator = false;
  memberId = '';
  generationId = -1;
  joinState: JoinState = 'unjoined';
  /** A rebalance is due: the next poll() rejoins. */
  rejoinNeeded = true;
  protocol: string | undefined;
  assignment: TopicPartition[] = [];
  private heartbeatTimer: TimerHandle | undefined;
  /** Bumped whenever the assignment changes, so answers for a superseded one are dropped. */
  assignmentVersion = 0;
  /** Another instance took this group.instance.id (FENCED_INSTANCE_ID): the member stops. */
  fenced = false;

  constructor(private readonly host: MembershipHost) {}

  get groupInstanceId(): string | undefined {
    const prefix = this.host.config['group.instance.id'];
    return prefix === undefined ? undefined : `${prefix}-${this.host.index}`;
  }

  // ------------------------------------------------------------------ the group

  findCoordinator(): void {
    if (this.findingCoordinator) return;
    this.findingCoordinator = true;
    const broker = this.host.ctx.rng.pick(this.host.brokers);
    this.host.ctx.request(brokerNode(broker), message('FindCoordinator', { keyType: 'group', key: this.host.group }), { timeout: millis(this.host.config['request.timeout.ms']) }, (r) => {
      this.findingCoordinator = false;
      if (r.ok && r.response.type === 'FindCoordinatorResponse' && r.response.error === undefined) this.coordinator = r.response.nodeId;
    });
  }

  coordinatorLost(): void {
    this.coordinator = -1;
  }

  /**
   * Errors that say this member is no longer what it thinks (Kafka's ConsumerCoordinator
   * resets its generation on them): rejoin, with a new member id if the old one is gone.
   */
  onGroupError(error: KafkaErrorCode | RpcError): void {
    switch (error) {
      case 'UNKNOWN_MEMBER_ID':
      case 'ILLEGAL_GENERATION':
        this.memberId = error === 'UNKNOWN_MEMBER_ID' ? '' : this.memberId;
        this.generationId = -1;
        this.rejoinNeeded = true;
        return;
      case 'REBALANCE_IN_PROGRESS':
        this.rejoinNeeded = true;
        return;
      case 'FENCED_INSTANCE_ID':
        // Fatal in Kafka: another instance with this group.instance.id took over.
        this.fenced = true;
        this.host.history.complete(this.host.history.invoke(this.host.member, 'fenced', { member: this.host.member }), 'ok', { member: this.host.member });
        this.stopHeartbeats();
        return;
    }
  }

  /** Starts a rejoin if none is under way (ConsumerCoordinator.ensureActiveGroup). */
  ensureGroup(): void {
    if (this.joinState === 'joining') return;
    if (this.coordinator < 0) {
      this.findCoordinator();
      return;
    }
    if (this.host.partitionCountsKnown() === false) {
      this.host.refreshMetadata();
      return;
    }
    this.joinState = 'joining';
    this.onJoinPrepare(() => this.join());
  }

  /**
   * Before JoinGroup (ConsumerCoordinator.onJoinPrepare): with auto-commit, commit the
   * positions synchronously; under the eager protocol revoke everything, under the
   * cooperative one (KIP-429) nothing yet.
   */
  private onJoinPrepare(then: () => void): void {
    const revokeAll = (): void => {
      if (!this.cooperative || this.generationId < 0) this.setAssignment([], 'revoke');
      then();
    };
    if (this.host.config['enable.auto.commit'] && this.generationId >= 0 && this.assignment.length > 0) this.host.commitSync(revokeAll);
    else revokeAll();
  }

  private get cooperative(): boolean {
    // Kafka's consumer rebalances cooperatively only if every configured assignor supports it.
    return this.host.config['partition.assignment.strategy'].every((a) => a === 'cooperative-sticky');
  }

  private join(): void {
    if (this.coordinator < 0) {
      this.joinState = 'unjoined';
      return;
    }
    const owned = this.assignment;
    const metadata = encodeSubscription({ topics: this.host.topics, ownedPartitions: owned, generationId: this.generationId });
    const req = message('JoinGroup', {
      groupId: this.host.group,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.host.clientId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: this.host.config['partition.assignment.strategy'].map((name) => ({ name, metadata })),
      sessionTimeoutMs: this.host.config['session.timeout.ms'],
      rebalanceTimeoutMs: this.host.config['max.poll.interval.ms'],
    });
    // The JoinGroup waits at the coordinator for the whole rebalance (Kafka's join timeout).
    const timeout = millis(Math.max(this.host.config['request.timeout.ms'], this.host.config['max.poll.interval.ms'] + 5_000));
    this.host.ctx.request(brokerNode(this.coordinator), req, { timeout }, (r) => {
      if (!r.ok || r.response.type !== 'JoinGroupResponse') return this.joinFailed(r.ok ? 'UNKNOWN_SERVER_ERROR' : r.error);
      const res = r.response;
      if (res.error === 'MEMBER_ID_REQUIRED') {
        this.memberId = res.memberId;
        return this.join();
      }
      if (res.error !== undefined) return this.joinFailed(res.error);
      this.memberId = res.memberId;
      this.generationId = res.generationId;
      this.protocol = res.protocol;
      const assignments = res.leaderId === res.memberId && res.members.length > 0 ? this.computeAssignment(res.protocol as AssignorName, res.members) : undefined;
      this.sync(assignments);
    });
  }

  private joinFailed(error: KafkaErrorCode | RpcError): void {
    this.joinState = 'unjoined';
    if (COORDINATOR_ERRORS.has(error)) this.coordinatorLost();
    this.onGroupError(error);
    this.rejoinNeeded = true;
  }

  /** The group leader runs the assignor over every member's subscription (ConsumerCoordinator.onLeaderElected). */
  private computeAssignment(protocol: AssignorName, members: readonly { memberId: string; groupInstanceId?: string; metadata: Uint8Array }[]): { memberId: string; assignment: Uint8Array }[] {
    const subs: MemberSubscription[] = members.map((m) => {
      const s = decodeSubscription(m.metadata);
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: s.topics, ownedPartitions: s.ownedPartitions, generation: s.generationId };
    });
    const result = assign(protocol, this.host.partitionCounts(), subs);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(result[m.memberId] ?? []) }));
  }

  private sync(assignments: { memberId: string; assignment: Uint8Array }[] | undefined): void {
    // The coordinator may have been lost (a heartbeat's answer) while the JoinGroup was out.
    if (this.coordinator < 0) return this.joinFailed('COORDINATOR_NOT_AVAILABLE');
    const generation = this.generationId;
    const req = message('SyncGroup', { groupId: this.host.group, memberId: this.memberId, groupInstanceId: this.groupInstanceId, generationId: generation, assignments });
    this.host.ctx.request(brokerNode(this.coordinator), req, { timeout: millis(Math.max(this.host.config['request.timeout.ms'], this.host.config['max.poll.interval.ms'] + 5_000)) }, (r) => {
      if (!r.ok || r.response.type !== 'SyncGroupResponse') return this.joinFailed(r.ok ? 'UNKNOWN_SERVER_ERROR' : r.error);
      if (r.response.error !== undefined) return this.joinFailed(r.response.error);
      const assigned = decodeAssignment(r.response.assignment);
      this.joinState = 'stable';
      this.rejoinNeeded = false;
      if (this.cooperative) {
        // KIP-429: give up only what moved; if anything did, rejoin so its new owner gets it.
        const revoked = this.assignment.filter((tp) => !assigned.some((k) => k.topic === tp.topic && k.partition === tp.partition));
        if (revoked.length > 0) this.rejoinNeeded = true;
      }
      this.setAssignment(assigned, 'assign');
      this.startHeartbeats();
    });
  }

  /**
   * Moves to a new assignment, recording what was revoked and what was assigned. Partitions
   * kept (cooperative rebalancing) keep their positions and buffers.
   */
  setAssignment(next: TopicPartition[], why: 'assign' | 'revoke'): void {
    const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;
    const nextKeys = new Set(next.map(key));
    const revoked = this.assignment.filter((tp) => !nextKeys.has(key(tp))).map(key);
    if (revoked.length > 0) {
      this.host.history.complete(this.host.history.invoke(this.host.member, 'revoke', {}), 'ok', { generation: this.generationId, member: this.host.member, partitions: revoked });
      this.host.fetcher.revoke(revoked, nextKeys);
    }
    const oldKeys = new Set(this.assignment.map(key));
    const added = next.filter((tp) => !oldKeys.has(key(tp)));
    this.assignment = next;
    this.assignmentVersion++;
    if (why === 'assign') {
      this.host.history.complete(this.host.history.invoke(this.host.member, 'assign', {}), 'ok', { added: added.map(key), generation: this.generationId, member: this.host.member, partitions: next.map(key) });
      if (added.length > 0) this.host.fetcher.fetchCommitted(added);
    }
  }

  // ------------------------------------------------------------------ heartbeats

  private startHeartbeats(): void {
    this.stopHeartbeats();
    this.heartbeatTimer = this.host.ctx.after(millis(this.host.config['heartbeat.interval.ms']), () => this.heartbeat());
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) this.host.ctx.cancel(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /**
   * The heartbeat thread: a heartbeat every heartbeat.interval.ms while the member is in a
   * stable group, and the max.poll.interval.ms check: an application that has not polled
   * for that long leaves the group (AbstractCoordinator's HeartbeatThread).
   */
  private heartbeat(): void {
    this.heartbeatTimer = undefined;
    if (this.joinState !== 'stable' || this.fenced) return;
    if (this.host.ctx.now() - this.host.lastPollAt() > millis(this.host.config['max.poll.interval.ms'])) {
      this.leaveGroup('consumer poll timeout has expired');
      return;
    }
    if (this.coordinator < 0) {
      this.findCoordinator();
      this.startHeartbeats();
      return;
    }
    const generation = this.generationId;
    const req = message('Heartbeat', { groupId: this.host.group, memberId: this.memberId, groupInstanceId: this.groupInstanceId, generationId: generation });
    this.host.ctx.request(brokerNode(this.coordinator), req, { timeout: millis(this.host.config['request.timeout.ms']) }, (r) => {
      const error = !r.ok ? r.error : r.response.type === 'HeartbeatResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
      if (error !== undefined && generation === this.generationId) {
        if (COORDINATOR_ERRORS.has(error)) this.coordinatorLost();
        else this.onGroupError(error);
      }
    });
    this.startHeartbeats();
  }

  /**
   * LeaveGroup (AbstractCoordinator.maybeLeaveGroup): the member gives up its id; the next
   * poll joins afresh. Only a dynamic member sends the request: since Kafka 2.3 a static
   * member (group.instance.id, KIP-345) never does, and only its session timeout removes it.
   * `done` runs once the request is answered (or failed), or at once if none was sent.
   */
  leaveGroup(reason: string, done: () => void = () => undefined): void {
    const send = this.groupInstanceId === undefined && this.coordinator >= 0 && this.memberId !== '' && this.joinState !== 'unjoined';
    if (send) {
      const req = message('LeaveGroup', { groupId: this.host.group, memberId: this.memberId, groupInstanceId: this.groupInstanceId });
      this.host.ctx.request(brokerNode(this.coordinator), req, { timeout: millis(this.host.config['request.timeout.ms']) }, () => done());
    }
    this.host.ctx.trace.emit('consumer.leave', { member: this.host.member, generation: this.generationId, reason });
    if (this.groupInstanceId === undefined) this.memberId = '';
    this.generationId = -1;
    this.joinState = 'unjoined';
    this.rejoinNeeded = true;
    if (!send) done();
  }

}
