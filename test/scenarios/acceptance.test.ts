import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

/**
 * The simulator must find the known bugs and show that the fixes hold. The default suite
 * runs a slice of the seeds; `npm run test:deep` (KAFKASIM_DEEP=1) runs them all.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('acceptance: acks=all, min.insync.replicas=2, RF=3, no unclean election, under a nemesis', () => {
  // Seeds 92 and 180 once found a real bug: the leader advanced its high watermark without a
  // replica the controller had just added to the ISR (fixed with Kafka's maximal ISR).
  const regressions = [92, 180];
  // The default suite runs seeds 1-6 and the regression seeds; the deep run adds seeds 7-200.
  const n = deep ? 200 : 6;
  it(`has no violation in ${n} seeds (and the regression seeds)`, { timeout: 1_800_000 }, () => {
    const scenario = loadScenario(`${library}acks-all-nemesis.yaml`);
    const failures: string[] = [];
    for (const seed of [...new Set([...seeds(n), ...regressions])]) {
      const r = runScenario(scenario, { seed });
      for (const v of r.violations) failures.push(`seed ${seed}: ${v.kind}: ${v.message}`);
      expect(r.stats.acked).toBeGreaterThan(0);
    }
    expect(failures).toEqual([]);
  });
});

describe('acceptance: KIP-101', () => {
  const n = deep ? 100 : 3;
  it(`truncating to the high watermark loses or diverges committed data (within ${n} seeds)`, { timeout: 1_800_000 }, () => {
    const scenario = loadScenario(`${library}kip101-hw-truncation.yaml`);
    const runs = seeds(n).map((seed) => runScenario(scenario, { seed }));
    expect(runs.filter((r) => r.violations.some((v) => v.kind === 'lost-write' || v.kind === 'divergence')).length).toBeGreaterThan(0);
    // The online TLA+ invariants see it too, at the election of a replica that truncated committed records.
    expect(runs.filter((r) => r.violations.some((v) => v.kind === 'spec:LeaderCompleteness')).length).toBeGreaterThan(0);
  });

  it(`truncating by leader epochs loses nothing in the same ${n} seeds`, { timeout: 1_800_000 }, () => {
    const scenario = loadScenario(`${library}kip101-leader-epoch.yaml`);
    const failures = seeds(n).flatMap((seed) => runScenario(scenario, { seed }).violations.map((v) => `seed ${seed}: ${v.kind}: ${v.message}`));
    expect(failures).toEqual([]);
  });
});

describe('acceptance: KIP-279', () => {
  it('leader epochs as KIP-101 first shipped them let replicas diverge after fast unclean failovers; with KIP-279 they do not', { timeout: 600_000 }, () => {
    const before = loadScenario(`${library}kip279-fast-failovers.yaml`);
    const after = loadScenario(`${library}kip279-fast-failovers-fixed.yaml`);
    for (const seed of seeds(deep ? 20 : 2)) {
      expect(runScenario(before, { seed }).violations.map((v) => v.kind)).toEqual(expect.arrayContaining(['divergence', 'spec:LogMatching']));
      expect(runScenario(after, { seed }).violations.map((v) => v.kind).filter((k) => k === 'divergence' || k === 'spec:LogMatching')).toEqual([]);
    }
  });
});

describe('acceptance: durability without fsync', () => {
  const run = (name: string, seed = 1) => runScenario(loadScenario(`${library}${name}.yaml`), { seed });

  it('acks=0 loses writes when the leader fails', () => {
    expect(run('acks0-leader-failover').violations.map((v) => v.kind)).toContain('lost-write');
  });

  it('a site-wide power loss loses acks=all writes; flush.messages=1 keeps them; a minority power loss loses nothing', () => {
    const outage = run('power-loss-all');
    expect(outage.violations.map((v) => v.kind)).toEqual(expect.arrayContaining(['lost-write', 'spec:LeaderCompleteness', 'spec:NoCommittedRecordLostGlobally']));
    // The brokers lost the idempotent producer's state with their page caches: it gets
    // UNKNOWN_PRODUCER_ID, bumps its epoch (KIP-360) and goes on, so every send completes.
    expect(outage.stats.acked).toBe(outage.stats.produced);
    for (const seed of seeds(deep ? 20 : 2)) {
      expect(run('power-loss-all-fsync', seed).violations).toEqual([]);
      expect(run('power-loss-minority', seed).violations).toEqual([]);
    }
  });
});

describe('acceptance: KIP-966, the last replica standing', () => {
  const run = (name: string) => runScenario(loadScenario(`${library}${name}.yaml`), { keepTrace: true });

  it('without eligible leader replicas, a power loss of the last ISR member loses what two brokers had; with them, nothing', () => {
    const before = run('last-replica-standing');
    expect(before.violations.map((v) => v.kind)).toEqual(expect.arrayContaining(['lost-write', 'spec:LeaderCompleteness']));
    const after = run('last-replica-standing-elr');
    expect(after.violations).toEqual([]);
    expect(after.stats.acked).toBe(after.stats.produced);
    // The leader after the outage is the follower that left the ISR into the ELR, not the one that lost its log.
    // With the lesson retimed for topic-forked placement, broker-1 leads and loses its log, broker-2 is
    // the ELR (the roles were the other way round before).
    const records = after.simulation.memory?.records ?? [];
    const opened = records.find((r) => r.kind === 'replica.open' && r.at > 25_000_000);
    const elected = records.filter((r) => r.kind === 'replica.append' && r.role === 'leader' && r.at > 45_000_000).map((r) => (r.kind === 'replica.append' ? r.broker : -1));
    expect(opened).toMatchObject({ broker: 1, logEndOffset: 0 });
    expect(new Set(elected)).toEqual(new Set([2]));
  });
});

describe('eligible leader replicas across a controller restart', () => {
  it('a controller restart takes no broker out of the ELR: only a broker coming back from a crash leaves it', () => {
    const scenario = loadScenario(`${library}last-replica-standing-elr.yaml`);
    const r = runScenario(
      {
        ...scenario,
        duration: 30_000_000 as typeof scenario.duration,
        // Broker 2 joins the ELR at about 23 s (broker 1 before the lesson was retimed for
        // topic-forked placement); then only the controller restarts.
        faults: scenario.faults.filter((f) => f.at <= 20_000_000).concat([
          { at: 24_000_000, action: 'crash', target: 'controller', mode: 'process' },
          { at: 25_000_000, action: 'restart', target: 'controller' },
        ] as typeof scenario.faults),
      },
      { keepTrace: true },
    );
    const changes = (r.simulation.memory?.records ?? []).flatMap((x) => (x.kind === 'metadata.record' && x.record === 'PartitionChange' ? [JSON.parse(x.detail) as Record<string, unknown>] : []));
    expect(changes.find((c) => c.elr !== undefined)?.elr).toEqual([2]);
    // No broker restarted, so no unclean exclusion (a change of the ELR alone) ever happens.
    expect(changes.filter((c) => Object.keys(c).sort().join() === 'elr,partition,topic,type')).toEqual([]);
    expect(r.violations).toEqual([]);
  });
});

describe('acceptance: KIP-360, producer state and retention (reference B3)', () => {
  const run = (name: string, seed?: number) => runScenario(loadScenario(`${library}${name}.yaml`), { seed, keepTrace: true });

  it(`before KIP-360 a retry of a batch retention deleted is written again; since, it is recognised (${deep ? 10 : 2} seeds)`, { timeout: 600_000 }, () => {
    for (const seed of seeds(deep ? 10 : 2)) {
      const before = run('unknown-producer-id', seed);
      expect(before.violations.map((v) => v.kind)).toEqual(['duplicate']);
      // Every acknowledged send is accounted for: retention deleted the first copies, nothing was lost.
      expect(before.stats.acked).toBe(before.stats.produced);
      const records = before.simulation.memory?.records ?? [];
      // The leader forgot p1 when retention emptied the log, and p1 learnt it from UNKNOWN_PRODUCER_ID.
      expect(records.some((r) => r.kind === 'log.retention' && r.producersForgotten > 0)).toBe(true);
      // As a 2.4 client, p1 took the log starting past its last acknowledged offset for retention, and reset its sequence.
      const reset = records.find((r) => r.kind === 'producer.sequence.reset');
      expect(reset).toMatchObject({ partition: 'orders-0', producerEpoch: 0 });
      expect(reset !== undefined && reset.kind === 'producer.sequence.reset' && reset.lastAckedOffset < reset.logStartOffset).toBe(true);

      const after = run('unknown-producer-id-kip360', seed);
      expect(after.violations).toEqual([]);
      const afterRecords = after.simulation.memory?.records ?? [];
      // Retention deleted the same records in both runs; only the producer state it took differs.
      const firstRetention = (rs: typeof records) => rs.find((r) => r.kind === 'log.retention');
      // Today's p1 never needs to start over: the leader still knows it.
      expect(afterRecords.some((r) => r.kind === 'producer.sequence.reset' || r.kind === 'producer.epoch')).toBe(false);
      expect(firstRetention(afterRecords)).toMatchObject({ logStartOffset: (firstRetention(records) as { logStartOffset: number }).logStartOffset, producersForgotten: 0 });
      expect(afterRecords.some((r) => r.kind === 'log.retention' && r.producersForgotten > 0)).toBe(false);
    }
  });
});

/**
 * An idempotence gap Kafka still has, and its fix: over `n` seeds the lesson duplicates in
 * some, each time through the door KIP-360 opened (OUT_OF_ORDER_SEQUENCE_NUMBER on
 * `partition`, then a new epoch), and nothing else; its twin with one request in flight
 * never goes wrong.
 */
function idempotenceGap(lesson: string, twin: string, partition: string, seedList: readonly number[]): void {
  let found = 0;
  for (const seed of seedList) {
    const five = runScenario(loadScenario(`${library}${lesson}.yaml`), { seed, keepTrace: true });
    const kinds = five.violations.map((v) => v.kind);
    expect(kinds.filter((k) => k !== 'duplicate' && k !== 'reorder')).toEqual([]);
    if (kinds.includes('duplicate')) {
      found++;
      const records = five.simulation.memory?.records ?? [];
      expect(records.some((r) => r.kind === 'producer.epoch' && r.partitions.includes(`${partition}:OUT_OF_ORDER_SEQUENCE_NUMBER`))).toBe(true);
    }
    const one = runScenario(loadScenario(`${library}${twin}.yaml`), { seed });
    expect(one.violations).toEqual([]);
    expect(one.stats.acked).toBe(one.stats.produced);
  }
  expect(found).toBeGreaterThan(0);
}

describe('idempotence across a crash of every replica (a gap Kafka still has)', () => {
  // By default seed 1, which goes right, and the lesson's own seed, 6, which shows the duplicate
  // (of seeds 1-6, 5 and 6 do); the deep run takes seeds 1-24.
  const list = deep ? seeds(24) : [1, 6];
  it(`five requests in flight: a retried batch older than the restored snapshot is written twice; one in flight: never (${list.length} seeds)`, { timeout: 600_000 }, () => {
    idempotenceGap('idempotent-full-restart', 'idempotent-full-restart-inflight1', 'orders-0', list);
  });
});

describe('idempotence across a leader change with requests held at the deposed leader (a gap Kafka still has; compare KAFKA-14034)', () => {
  const n = deep ? 40 : 12;
  it(`five requests in flight: batches retried behind newer ones reach the new leader too late and are written twice; one in flight: never (${n} seeds)`, { timeout: 600_000 }, () => {
    idempotenceGap('idempotent-leader-change', 'idempotent-leader-change-inflight1', 'orders-1', seeds(n));
  });
});

describe('a producer before KIP-360 told UNKNOWN_PRODUCER_ID with its log still there', () => {
  it('fails those batches and goes on under a new producer id, where a KIP-360 producer bumps its epoch and loses none', () => {
    const scenario = loadScenario(`${library}power-loss-all.yaml`);
    // A 1.0-2.4 broker answers UNKNOWN_PRODUCER_ID to a producer it has no state for; since 2.5 it accepts the batch.
    const withClient = (mode: 'bump-epoch' | 'reset-sequence') =>
      runScenario(
        {
          ...scenario,
          cluster: { ...scenario.cluster, config: { ...scenario.cluster.config, 'sim.unknown.producer.sequence': mode === 'bump-epoch' ? 'accept' : 'unknown-producer-id' } },
          clients: scenario.clients.map((c) => (c.type === 'producer' ? { ...c, config: { ...c.config, 'sim.unknown.producer.id': mode } } : c)),
        },
        { keepTrace: true },
      );
    // The outage took the producer state with the page caches, but not the log start offset
    // (0): the old heuristic does not apply, and the batches fail with UnknownProducerIdException.
    const old = withClient('reset-sequence');
    const records = old.simulation.memory?.records ?? [];
    const failed = records.filter((r) => r.kind === 'client.send' && r.type !== 'ok' && r.type !== 'invoke');
    expect(failed.length).toBeGreaterThan(0);
    // UnknownProducerIdException for the batches told so; a batch of the old id waiting to be
    // retried fails too, as Kafka's "the producer id changed" OutOfOrderSequenceException.
    const errors = failed.map((r) => (r.kind === 'client.send' ? r.error : undefined));
    expect(errors).toContain('UNKNOWN_PRODUCER_ID');
    for (const e of errors) expect(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER']).toContain(e);
    expect(records.some((r) => r.kind === 'producer.sequence.reset')).toBe(false);
    // It took a new producer id and went on: later sends were acknowledged.
    const lastFail = Math.max(...failed.map((r) => r.at));
    expect(records.some((r) => r.kind === 'client.send' && r.type === 'ok' && r.at > lastFail)).toBe(true);
    expect(old.stats.acked + old.stats.indeterminate + old.stats.failed).toBe(old.stats.produced);
    const today = withClient('bump-epoch');
    expect(today.stats.acked).toBe(today.stats.produced);
  });
});

describe('acceptance: ordering with requests in flight', () => {
  it('five requests in flight without idempotence reorder; with idempotence they do not', () => {
    const off = runScenario(loadScenario(`${library}inflight-reorder.yaml`));
    expect(off.violations.map((v) => v.kind)).toContain('reorder');
    const on = runScenario(loadScenario(`${library}inflight-ordered.yaml`));
    expect(on.violations).toEqual([]);
  });
});

describe('acceptance: unclean leader election', () => {
  it('min.insync.replicas=1 with unclean election loses acknowledged writes when the lone ISR member is lost; without it, none', () => {
    const on = runScenario(loadScenario(`${library}unclean-election.yaml`));
    expect(on.violations.map((v) => v.kind)).toEqual(expect.arrayContaining(['lost-write', 'hw-regression', 'spec:LeaderCompleteness', 'spec:NoCommittedRecordLostGlobally']));
    const off = runScenario(loadScenario(`${library}unclean-election-off.yaml`));
    expect(off.violations).toEqual([]);
  });
});

describe('acceptance: rolling restarts with controlled shutdown', () => {
  // The default suite runs seeds 1-2 (both lossy with acks=1); the deep run adds seeds 3-50.
  const n = deep ? 50 : 2;
  it(`acks=1 loses writes in nearly every seed; acks=all with idempotence, and the same nemesis of graceful restarts and crashes, none (${n} seeds)`, { timeout: 1_200_000 }, () => {
    const acks1 = loadScenario(`${library}rolling-restart-acks1.yaml`);
    const twin = loadScenario(`${library}rolling-restart-acks-all.yaml`);
    // The twin runs its lesson's checks (twins.test.ts); reorder is judged here too.
    const acksAll = { ...twin, checks: twin.checks === undefined ? undefined : [...twin.checks, 'reorder' as const] };
    const nemesis = loadScenario(`${library}acks-all-nemesis.yaml`);
    const rolling = { ...nemesis, nemesis: nemesis.nemesis === undefined ? undefined : { ...nemesis.nemesis, kinds: ['shutdown', 'crash', 'partition', 'pause'] as typeof nemesis.nemesis.kinds } };
    const failures: string[] = [];
    let lossy = 0;
    for (const seed of seeds(n)) {
      if (runScenario(acks1, { seed }).violations.some((v) => v.kind === 'lost-write')) lossy++;
      for (const s of [acksAll, rolling]) for (const v of runScenario(s, { seed }).violations) failures.push(`${s.name} seed ${seed}: ${v.kind}: ${v.message}`);
    }
    // A deposed leader loses writes only when a Produce reaches it in the milliseconds before it
    // learns of its successor: with three leadership moves at 2,000 msg/s that happens in all
    // but the odd seed (59 of seeds 1-60; seed 12 is such a one).
    expect(lossy).toBeGreaterThanOrEqual(Math.ceil(n * 0.9));
    expect(failures).toEqual([]);
  });
});
