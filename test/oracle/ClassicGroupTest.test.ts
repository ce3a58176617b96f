// Kafka's own tests as the oracle (issue 22): cases of
// group-coordinator/src/test/java/org/apache/kafka/coordinator/group/classic/ClassicGroupTest.java
// ported to kafkasim's ConsumerGroup (src/nodes/coordinator/consumerGroup.ts). ClassicGroup's
// selectProtocol and supportsProtocols are private in kafkasim: they are observed through
// JoinGroup, as members join a group in PreparingRebalance and the generation completes.
import { describe, expect, it } from 'vitest';
import { GROUP_INITIAL_REBALANCE_DELAY, Harness, METADATA, UNKNOWN_MEMBER_ID } from './classicGroupHarness.js';

const protocols = (...names: string[]) => names.map((name) => ({ name, metadata: METADATA }));

/** Members with these protocol lists join one new group; the protocol its first generation selects. */
function selectProtocol(...members: string[][]): string | undefined {
  const h = new Harness();
  const joins = members.map((names) => h.sendJoinGroup(UNKNOWN_MEMBER_ID, { protocols: protocols(...names) }));
  // The initial delay runs another stretch for each stretch in which members joined (InitialDelayedJoin).
  for (let i = 0; i < 10 && joins.some((f) => !f.isCompleted); i++) h.advanceClock(GROUP_INITIAL_REBALANCE_DELAY + 1);
  const results = joins.map((f) => f.get());
  for (const r of results) expect(r.error).toBeUndefined();
  expect(new Set(results.map((r) => r.protocol)).size).toBe(1);
  return results[0].protocol;
}

describe('ClassicGroupTest', () => {
  // Kafka: ClassicGroupTest.testSelectProtocol
  it('testSelectProtocol', () => {
    // No majority preference: either.
    expect(['range', 'roundrobin']).toContain(selectProtocol(['range', 'roundrobin'], ['roundrobin', 'range']));
    // A third member preferring roundrobin decides.
    expect(selectProtocol(['range', 'roundrobin'], ['roundrobin', 'range'], ['roundrobin', 'range'])).toBe('roundrobin');
  });

  // Kafka: ClassicGroupTest.testSelectProtocolChoosesCompatibleProtocol
  it('testSelectProtocolChoosesCompatibleProtocol', () => {
    expect(selectProtocol(['range', 'roundrobin'], ['roundrobin', 'foo'])).toBe('roundrobin');
  });

  // Kafka: ClassicGroupTest.testSupportsProtocols
  it('testSupportsProtocols', () => {
    /** Whether a group whose one member (in PreparingRebalance) supports range and roundrobin takes a member with `names`. */
    const supports = (...names: string[]): boolean => {
      const h = new Harness();
      // By default (an empty group) everything is supported.
      expect(h.sendJoinGroup(UNKNOWN_MEMBER_ID, { protocols: protocols('range', 'roundrobin') }).value).toBeUndefined();
      expect(h.group.state).toBe('PreparingRebalance');
      return h.sendJoinGroup(UNKNOWN_MEMBER_ID, { protocols: protocols(...names) }).value?.error !== 'INCONSISTENT_GROUP_PROTOCOL';
    };
    expect(supports('roundrobin', 'foo')).toBe(true);
    expect(supports('range', 'bar')).toBe(true);
    expect(supports('foo', 'bar')).toBe(false);
  });
});
