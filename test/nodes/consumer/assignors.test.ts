import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cooperativeStickyAssign, rangeAssign, roundRobinAssign, stickyAssign, type Assignment, type MemberSubscription } from '../../../src/nodes/consumer/assignors.js';
import type { TopicPartition } from '../../../src/log/topicPartition.js';

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const member = (memberId: string, topics: string[], groupInstanceId?: string): MemberSubscription => ({ memberId, topics, groupInstanceId });

// Cases from Kafka's RangeAssignorTest and RoundRobinAssignorTest (clients module), written
// here as data: same members, subscriptions and partition counts, same expected assignment.
describe('RangeAssignor, as Kafka assigns', () => {
  it('one consumer, no topic or a nonexistent one: nothing', () => {
    expect(rangeAssign({}, [member('consumer1', [])])).toEqual({ consumer1: [] });
    expect(rangeAssign({}, [member('consumer1', ['topic1'])])).toEqual({ consumer1: [] });
  });

  it('one consumer, one topic; only subscribed topics; multiple topics', () => {
    expect(rangeAssign({ topic1: 3 }, [member('consumer1', ['topic1'])]).consumer1).toEqual([tp('topic1', 0), tp('topic1', 1), tp('topic1', 2)]);
    expect(rangeAssign({ topic1: 3, other: 3 }, [member('consumer1', ['topic1'])]).consumer1).toEqual([tp('topic1', 0), tp('topic1', 1), tp('topic1', 2)]);
    expect(rangeAssign({ topic1: 1, topic2: 2 }, [member('consumer1', ['topic1', 'topic2'])]).consumer1).toEqual([tp('topic1', 0), tp('topic2', 0), tp('topic2', 1)]);
  });

  it('two consumers on one or two partitions', () => {
    expect(rangeAssign({ topic1: 1 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1'])])).toEqual({ consumer1: [tp('topic1', 0)], consumer2: [] });
    expect(rangeAssign({ topic1: 2 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1'])])).toEqual({ consumer1: [tp('topic1', 0)], consumer2: [tp('topic1', 1)] });
  });

  it('multiple consumers, mixed topics', () => {
    const a = rangeAssign({ topic1: 3, topic2: 2 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1', 'topic2']), member('consumer3', ['topic1'])]);
    expect(a).toEqual({ consumer1: [tp('topic1', 0)], consumer2: [tp('topic1', 1), tp('topic2', 0), tp('topic2', 1)], consumer3: [tp('topic1', 2)] });
  });

  it('two consumers, two topics, six partitions; static members order by instance id, ahead of dynamic ones', () => {
    const both = ['topic1', 'topic2'];
    expect(rangeAssign({ topic1: 3, topic2: 3 }, [member('consumer1', both), member('consumer2', both)])).toEqual({
      consumer1: [tp('topic1', 0), tp('topic1', 1), tp('topic2', 0), tp('topic2', 1)],
      consumer2: [tp('topic1', 2), tp('topic2', 2)],
    });
    const statics = rangeAssign({ topic1: 3, topic2: 3 }, [member('consumer-b', both, 'instance1'), member('consumer-a', both, 'instance2')]);
    expect(statics['consumer-b']).toEqual([tp('topic1', 0), tp('topic1', 1), tp('topic2', 0), tp('topic2', 1)]);
    const mixed = rangeAssign({ topic1: 3, topic2: 3 }, [member('consumer-b', both, 'instance1'), member('consumer-a', both)]);
    expect(mixed['consumer-b']).toEqual([tp('topic1', 0), tp('topic1', 1), tp('topic2', 0), tp('topic2', 1)]);
  });

  it('static members keep their ranges when a dynamic member is replaced', () => {
    const both = ['topic1', 'topic2'];
    const statics = [member('consumer1', both, 'instance1'), member('consumer2', both, 'instance2'), member('consumer3', both, 'instance3')];
    const expected = { consumer1: [tp('topic1', 0), tp('topic1', 1), tp('topic2', 0)], consumer2: [tp('topic1', 2), tp('topic2', 1)], consumer3: [tp('topic1', 3), tp('topic2', 2)] };
    expect(rangeAssign({ topic1: 5, topic2: 4 }, [...statics, member('consumer4', both)])).toEqual({ ...expected, consumer4: [tp('topic1', 4), tp('topic2', 3)] });
    expect(rangeAssign({ topic1: 5, topic2: 4 }, [...statics, member('consumer5', both)])).toEqual({ ...expected, consumer5: [tp('topic1', 4), tp('topic2', 3)] });
  });
});

describe('RoundRobinAssignor, as Kafka assigns', () => {
  it('multiple consumers, mixed topics', () => {
    const a = roundRobinAssign({ topic1: 3, topic2: 2 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1', 'topic2']), member('consumer3', ['topic1'])]);
    expect(a).toEqual({ consumer1: [tp('topic1', 0)], consumer2: [tp('topic1', 1), tp('topic2', 0), tp('topic2', 1)], consumer3: [tp('topic1', 2)] });
  });

  it('two consumers, two topics, six partitions, dynamic or static', () => {
    const both = ['topic1', 'topic2'];
    const expected = { first: [tp('topic1', 0), tp('topic1', 2), tp('topic2', 1)], second: [tp('topic1', 1), tp('topic2', 0), tp('topic2', 2)] };
    const dynamic = roundRobinAssign({ topic1: 3, topic2: 3 }, [member('consumer1', both), member('consumer2', both)]);
    expect([dynamic.consumer1, dynamic.consumer2]).toEqual([expected.first, expected.second]);
    const statics = roundRobinAssign({ topic1: 3, topic2: 3 }, [member('consumer-b', both, 'instance1'), member('consumer-a', both, 'instance2')]);
    expect([statics['consumer-b'], statics['consumer-a']]).toEqual([expected.first, expected.second]);
    const mixed = roundRobinAssign({ topic1: 3, topic2: 3 }, [member('consumer-b', both, 'instance1'), member('consumer-a', both)]);
    expect([mixed['consumer-b'], mixed['consumer-a']]).toEqual([expected.first, expected.second]);
  });

  it('static members keep their partitions across a dynamic member being replaced', () => {
    const both = ['topic1', 'topic2'];
    const statics = [member('consumer1', both, 'instance1'), member('consumer2', both, 'instance2'), member('consumer3', both, 'instance3')];
    const expected = { consumer1: [tp('topic1', 0), tp('topic2', 1)], consumer2: [tp('topic1', 1), tp('topic2', 2)], consumer3: [tp('topic1', 2)] };
    expect(roundRobinAssign({ topic1: 3, topic2: 3 }, [...statics, member('consumer4', both)])).toEqual({ ...expected, consumer4: [tp('topic2', 0)] });
    expect(roundRobinAssign({ topic1: 3, topic2: 3 }, [...statics, member('consumer5', both)])).toEqual({ ...expected, consumer5: [tp('topic2', 0)] });
  });
});

// ------------------------------------------------------------------ sticky properties

const key = (p: TopicPartition) => `${p.topic}-${p.partition}`;
const topicsArb = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 12 }), { minKeys: 1 });
const memberIdsArb = fc.uniqueArray(fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `m${i}`)), { minLength: 1, maxLength: 8 });

function checkCoverage(partitionsPerTopic: Record<string, number>, members: readonly MemberSubscription[], a: Assignment): void {
  const seen = new Map<string, string>();
  for (const [memberId, list] of Object.entries(a)) {
    const m = members.find((x) => x.memberId === memberId);
    for (const p of list) {
      expect(seen.has(key(p))).toBe(false); // at most one owner
      seen.set(key(p), memberId);
      expect(m?.topics).toContain(p.topic); // only to a subscriber
    }
  }
  for (const [topic, n] of Object.entries(partitionsPerTopic)) {
    if (!members.some((m) => m.topics.includes(topic))) continue;
    for (let p = 0; p < n; p++) expect(seen.has(`${topic}-${p}`)).toBe(true); // every partition
  }
}

function owned(a: Assignment, members: readonly MemberSubscription[], generation: number): MemberSubscription[] {
  return members.map((m) => ({ ...m, ownedPartitions: a[m.memberId] ?? [], generation }));
}

describe.each([
  ['StickyAssignor', stickyAssign],
  ['RoundRobinAssignor', roundRobinAssign],
  ['RangeAssignor', rangeAssign],
])('%s under fast-check', (_name, assign) => {
  it('assigns every subscribed partition to exactly one subscribed member, whatever the subscriptions', () => {
    fc.assert(
      fc.property(topicsArb, memberIdsArb, fc.infiniteStream(fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 })), (partitionsPerTopic, ids, subs) => {
        const members = ids.map((id) => member(id, subs.next().value as string[]));
        checkCoverage(partitionsPerTopic, members, assign(partitionsPerTopic, members));
      }),
    );
  });
});

describe('StickyAssignor properties (as Kafka\'s sticky assignor tests check them)', () => {
  it('is balanced within one partition when every member subscribes to the same topics', () => {
    fc.assert(
      fc.property(topicsArb, memberIdsArb, (partitionsPerTopic, ids) => {
        const topics = Object.keys(partitionsPerTopic);
        const members = ids.map((id) => member(id, topics));
        const sizes = Object.values(stickyAssign(partitionsPerTopic, members)).map((l) => l.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('is sticky: members that stay keep all they had when one leaves, and only give up partitions when one joins', () => {
    fc.assert(
      fc.property(topicsArb, memberIdsArb, fc.nat(), (partitionsPerTopic, ids, pick) => {
        const topics = Object.keys(partitionsPerTopic);
        const members = ids.map((id) => member(id, topics));
        const first = stickyAssign(partitionsPerTopic, members);
        // A member leaves: the others keep everything and only gain.
        if (members.length > 1) {
          const leaving = members[pick % members.length].memberId;
          const rest = owned(first, members, 1).filter((m) => m.memberId !== leaving);
          const next = stickyAssign(partitionsPerTopic, rest);
          for (const m of rest) for (const p of first[m.memberId]) expect(next[m.memberId].map(key)).toContain(key(p));
          const sizes = Object.values(next).map((l) => l.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
        // A member joins: the others keep a subset of what they had.
        const joined = [...owned(first, members, 1), member('newcomer', topics)];
        const after = stickyAssign(partitionsPerTopic, joined);
        for (const m of members) for (const p of after[m.memberId]) expect(first[m.memberId].map(key)).toContain(key(p));
      }),
    );
  });

  it('gives a partition claimed by two members to the one of the later generation', () => {
    const stale = { ...member('m1', ['a']), ownedPartitions: [tp('a', 0), tp('a', 1)], generation: 1 };
    const fresh = { ...member('m2', ['a']), ownedPartitions: [tp('a', 0)], generation: 2 };
    const a = stickyAssign({ a: 2 }, [stale, fresh]);
    expect(a).toEqual({ m1: [tp('a', 1)], m2: [tp('a', 0)] });
  });
});

describe('CooperativeStickyAssignor (KIP-429)', () => {
  it('never revokes what a member keeps, holds back moving partitions for one round, and converges on the next', () => {
    fc.assert(
      fc.property(topicsArb, memberIdsArb, (partitionsPerTopic, ids) => {
        const topics = Object.keys(partitionsPerTopic);
        const members = ids.map((id) => member(id, topics));
        const before = stickyAssign(partitionsPerTopic, members);
        const joined = [...owned(before, members, 1), member('newcomer', topics)];
        const round1 = cooperativeStickyAssign(partitionsPerTopic, joined);
        const target = stickyAssign(partitionsPerTopic, joined);
        for (const m of members) {
          // Round 1 gives each old member exactly what it keeps: nothing new, nothing moving.
          const kept = before[m.memberId].filter((p) => target[m.memberId].some((q) => key(q) === key(p)));
          expect(round1[m.memberId].map(key)).toEqual(kept.map(key));
        }
        // What moves is given to nobody yet; the newcomer starts with nothing taken from others.
        expect(round1.newcomer).toEqual([]);
        // Round 2: the members own what round 1 gave them; now everything is assigned and balanced.
        const round2 = cooperativeStickyAssign(partitionsPerTopic, owned(round1, joined, 2));
        checkCoverage(partitionsPerTopic, joined, round2);
        const sizes = Object.values(round2).map((l) => l.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
});
