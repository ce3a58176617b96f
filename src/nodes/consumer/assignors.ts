import { compareNumbers, compareStrings } from '../../sim/order.js';

/**
 * The consumer group's partition assignors, as Kafka's clients run them on the group
 * leader (org.apache.kafka.clients.consumer.{Range,RoundRobin,Sticky,CooperativeSticky}
 * Assignor): pure functions from the members' subscriptions (and, for the sticky ones, what
 * each member owned) to an assignment. The consumer-group issue builds the group protocol on
 * top of them.
 */

import type { TopicPartition } from '../../log/topicPartition.js';

export interface MemberSubscription {
  readonly memberId: string;
  /** group.instance.id (KIP-345): static members sort by it, ahead of dynamic ones. */
  readonly groupInstanceId?: string;
  readonly topics: readonly string[];
  /** For the sticky assignors: what the member owned after the previous rebalance. */
  readonly ownedPartitions?: readonly TopicPartition[];
  /** The generation in which it owned them (a member that missed a rebalance has an older one). */
  readonly generation?: number;
}

/** Member id -> its partitions, sorted by topic then partition. */
export type Assignment = Record<string, TopicPartition[]>;

export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

/** partition.assignment.strategy's values, as Kafka names the classes. */
export const ASSIGNOR_CLASSES: Readonly<Record<AssignorName, string>> = {
  range: 'org.apache.kafka.clients.consumer.RangeAssignor',
  roundrobin: 'org.apache.kafka.clients.consumer.RoundRobinAssignor',
  sticky: 'org.apache.kafka.clients.consumer.StickyAssignor',
  'cooperative-sticky': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
};

/**
 * Members in Kafka's MemberInfo order: static members (with a group.instance.id) first, by
 * instance id; then dynamic members by member id. Static members sorting by instance id is
 * what keeps their assignment across restarts, which give them new member ids.
 */
export function memberOrder(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) return compareStrings(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== undefined) return -1;
  if (b.groupInstanceId !== undefined) return 1;
  return compareStrings(a.memberId, b.memberId);
}

function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || compareNumbers(a.partition, b.partition);
}

function emptyAssignment(members: readonly MemberSubscription[]): Assignment {
  const out: Assignment = {};
  for (const m of members) out[m.memberId] = [];
  return out;
}

function sortAll(assignment: Assignment): Assignment {
  for (const list of Object.values(assignment)) list.sort(comparePartitions);
  return assignment;
}

/** Every partition of the topics someone subscribes to that exists, sorted. */
function subscribedPartitions(partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): TopicPartition[] {
  const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => partitionsPerTopic[t] !== undefined).sort(compareStrings);
  return topics.flatMap((topic) => Array.from({ length: partitionsPerTopic[topic] }, (_, partition) => ({ topic, partition })));
}

/**
 * RangeAssignor: per topic, the subscribed members in MemberInfo order each take a
 * contiguous range; the first (partitions % members) take one more.
 */
export function rangeAssign(partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): Assignment {
  const out = emptyAssignment(members);
  const topics = Object.keys(partitionsPerTopic).sort(compareStrings);
  for (const topic of topics) {
    const subscribers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
    if (subscribers.length === 0) continue;
    const n = partitionsPerTopic[topic];
    const per = Math.floor(n / subscribers.length);
    const extra = n % subscribers.length;
    subscribers.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) out[m.memberId].push({ topic, partition: p });
    });
  }
  return sortAll(out);
}

/**
 * RoundRobinAssignor: all partitions, sorted, dealt in turn to the members in MemberInfo
 * order, skipping a member not subscribed to the partition's topic.
 */
export function roundRobinAssign(partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): Assignment {
  const out = emptyAssignment(members);
  const ordered = [...members].sort(memberOrder);
  if (ordered.length === 0) return out;
  let next = 0;
  for (const tp of subscribedPartitions(partitionsPerTopic, members)) {
    // The circular iterator moves on until it meets a member subscribed to this topic.
    for (let tries = 0; tries < ordered.length; tries++) {
      const m = ordered[next];
      next = (next + 1) % ordered.length;
      if (m.topics.includes(tp.topic)) {
        out[m.memberId].push(tp);
        break;
      }
    }
  }
  return sortAll(out);
}

/**
 * StickyAssignor (KIP-54): balanced like round robin, but partitions stay with their
 * previous owner whenever balance allows. Each member keeps what it owned (of the topics it
 * still subscribes to) up to its quota; partitions claimed by two members go to the one of
 * the later generation; the rest go, one at a time, to the eligible member with the fewest
 * partitions. With equal subscriptions every member ends with floor or ceil of
 * partitions/members, as Kafka's constrained assignment guarantees.
 */
export function stickyAssign(partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): Assignment {
  const out = emptyAssignment(members);
  const ordered = [...members].sort(memberOrder);
  const all = subscribedPartitions(partitionsPerTopic, members);
  if (ordered.length === 0 || all.length === 0) return out;
  const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
  const exists = new Set(all.map(key));
  // Who owned each partition last, resolving double claims by generation.
  const owner = new Map<string, { member: MemberSubscription; generation: number }>();
  for (const m of ordered) {
    for (const tp of m.ownedPartitions ?? []) {
      if (!exists.has(key(tp)) || !m.topics.includes(tp.topic)) continue;
      const claim = owner.get(key(tp));
      const generation = m.generation ?? -1;
      if (claim === undefined || generation > claim.generation) owner.set(key(tp), { member: m, generation });
    }
  }
  const equal = ordered.every((m) => sameTopics(m.topics, ordered[0].topics));
  const minQuota = Math.floor(all.length / ordered.length);
  let maxQuotaSlots = all.length % ordered.length; // members that may hold minQuota + 1
  const taken = new Set<string>();
  // Keep owned partitions up to the quota (for unequal subscriptions: up to a fair share of
  // what the member could take).
  for (const m of ordered) {
    const owned = (m.ownedPartitions ?? []).filter((tp) => owner.get(key(tp))?.member === m).sort(comparePartitions);
    let limit: number;
    if (equal) {
      limit = owned.length > minQuota && maxQuotaSlots > 0 ? minQuota + 1 : minQuota;
      if (limit > minQuota) maxQuotaSlots--;
    } else {
      const eligible = all.filter((tp) => m.topics.includes(tp.topic)).length;
      const sharers = ordered.filter((o) => o.topics.some((t) => m.topics.includes(t))).length;
      limit = Math.ceil(eligible / Math.max(1, sharers));
    }
    for (const tp of owned.slice(0, limit)) {
      out[m.memberId].push(tp);
      taken.add(key(tp));
    }
  }
  // The rest, one at a time, to the eligible member with the fewest (MemberInfo order breaks
  // ties). With equal subscriptions and the quotas above this ends balanced: a member is
  // never given one while another eligible member has fewer.
  for (const tp of all) {
    if (taken.has(key(tp))) continue;
    let best: MemberSubscription | undefined;
    for (const m of ordered) {
      if (!m.topics.includes(tp.topic)) continue;
      if (best === undefined || out[m.memberId].length < out[best.memberId].length) best = m;
    }
    if (best === undefined) continue;
    out[best.memberId].push(tp);
    taken.add(key(tp));
  }
  return sortAll(out);
}

/**
 * CooperativeStickyAssignor (KIP-429): the sticky assignment, except that a partition
 * moving from one live member to another is given to nobody in this round. Its owner
 * revokes it (and only it: what a member keeps is never revoked), and the rebalance that
 * follows hands it to its new owner.
 */
export function cooperativeStickyAssign(partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): Assignment {
  const target = stickyAssign(partitionsPerTopic, members);
  const ownerOf = new Map<string, string>();
  for (const m of members) for (const tp of m.ownedPartitions ?? []) ownerOf.set(`${tp.topic}\u0000${tp.partition}`, m.memberId);
  const out: Assignment = {};
  for (const [memberId, list] of Object.entries(target)) {
    out[memberId] = list.filter((tp) => {
      const previous = ownerOf.get(`${tp.topic}\u0000${tp.partition}`);
      return previous === undefined || previous === memberId;
    });
  }
  return out;
}

export function assign(name: AssignorName, partitionsPerTopic: Readonly<Record<string, number>>, members: readonly MemberSubscription[]): Assignment {
  switch (name) {
    case 'range':
      return rangeAssign(partitionsPerTopic, members);
    case 'roundrobin':
      return roundRobinAssign(partitionsPerTopic, members);
    case 'sticky':
      return stickyAssign(partitionsPerTopic, members);
    case 'cooperative-sticky':
      return cooperativeStickyAssign(partitionsPerTopic, members);
  }
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}
