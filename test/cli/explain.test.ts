import { describe, expect, it, vi } from 'vitest';
import { DEEP } from '../helpers/deep.js';
import { cli } from '../helpers/cli.js';
import { explainCommand, type ExplainCliOptions } from '../../src/cli/commands/explain.js';
import { UsageError } from '../../src/cli/usageError.js';
import type * as runner from '../../src/scenarios/runner.js';
import type { RunResult } from '../../src/scenarios/runner.js';

// The stories are told in-process (explainCommand, what `kafkasim explain` calls) and a run is
// made once per scenario and seed in this file: unclean-election's three stories share one.
// The real CLI is spawned for one story (power-loss-all: exit 0, stdout) and one usage error
// (exit 2, stderr); the other usage error is thrown in-process as the UsageError the CLI exits 2 on.
vi.mock('../../src/scenarios/runner.js', async (importOriginal) => {
  const actual = await importOriginal<typeof runner>();
  const runs = new Map<string, RunResult>();
  return {
    ...actual,
    runScenario: (...args: Parameters<typeof actual.runScenario>): RunResult => {
      const key = JSON.stringify(args);
      const r = runs.get(key) ?? actual.runScenario(...args);
      runs.set(key, r);
      return r;
    },
  };
});

/** `kafkasim explain name ...opts` in-process: its exit code and stdout, without colour. */
function explain(name: string, opts: ExplainCliOptions = {}): { code: number; stdout: string } {
  const lines: string[] = [];
  const code = explainCommand(name, opts, (line) => lines.push(line));
  return { code, stdout: lines.map((l) => `${l.replace(/\u001b\[[0-9;]*m/g, '')}\n`).join('') };
}

// Six of the stories run only under KAFKASIM_DEEP; the default suite keeps one of each kind of story.
describe('kafkasim explain', () => {
  it("narrates a lost write's causal chain: the append, the leader's crash, the election, the truncation", () => {
    const r = explain('acks1-leader-failover');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s+t=/.test(l));
    const text = lines.join('\n');
    // The partition of the violation explained (the first one), and its chain for that partition.
    const p = /→ lost-write: \d+ acknowledged messages are not in the committed log of (orders-\d)/.exec(r.stdout)?.[1] ?? 'none';
    expect(p).toMatch(/^orders-\d$/);
    expect(text).toMatch(new RegExp(`broker-\\d, leader of ${p} in epoch \\d+, appended offsets \\d+–\\d+`));
    expect(text).toMatch(new RegExp(`broker-(\\d) crashed .* while leader of ${p} \\(epoch \\d+\\); its log ended at \\d+, the followers had broker-\\d up to \\d+`));
    expect(text).toMatch(new RegExp(`the controller elected broker-\\d leader of ${p} \\(epoch \\d+\\) from the ISR \\[[\\d,]+\\]`));
    expect(text).toMatch(new RegExp(`truncated ${p} from \\d+ to offset \\d+: .*dropping \\d+ of the records in question`));
    // A causal chain, not a dump of the run's hundreds of thousands of events.
    expect(lines.length).toBeLessThan(30);
    // In order of time.
    const times = lines.map((l) => Number(/t=\s*([\d.]+)s/.exec(l)?.[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('says when an election was unclean, and prints JSON with --json', () => {
    const r = explain('unclean-election', { json: true });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { violation: { kind: string }; timeline: { at: number; text: string }[] };
    expect(out.violation.kind).toBe('lost-write');
    expect(out.timeline.some((l) => /from outside the ISR .*: an unclean election/.test(l.text))).toBe(true);
  });

  it('tells a controlled shutdown\'s loss as a leader replaced while it still took acks=1 writes, then truncated when it returned', () => {
    // Seed 11: since the controller runs on the KRaft quorum, the lesson's own seed loses writes
    // acknowledged just before the election rather than after it.
    const text = explain('rolling-restart-acks1', { seed: '11' }).stdout;
    expect(text).toMatch(
      /broker-(\d) was asked to shut down \(SIGTERM\) while leader of (orders-\d)[\s\S]*the controller elected broker-(\d) leader of \2 \(epoch \d+\) from the ISR \[[\d,]+\] \(broker-\1 is in controlled shutdown[\s\S]*broker-\1, leader of \2 in epoch \d+, appended offsets? [\d–]+.*not knowing yet that broker-\3 has replaced it[\s\S]*p1 was told its write at offset \d+ succeeded[\s\S]*broker-\1 learned from the metadata log that it no longer leads \2[\s\S]*broker-\1 stopped cleanly[\s\S]*broker-\1 restarted[\s\S]*broker-\1 truncated \2 from \d+ to offset \d+/,
    );
  });

  it('says why an unclean leader refused the producer\'s sequence, and tells nothing of a replaced leader that was already down', () => {
    const text = explain('unclean-election').stdout;
    expect(text).toMatch(/told OUT_OF_ORDER_SEQUENCE_NUMBER by orders-0's leader, whose log, and so its sequences, ends before what it had acknowledged \(an unclean election\)/);
    // broker-2 crashed while leading, before the election: once back it is a new process, not a leader learning of its successor.
    expect(text).not.toMatch(/learned from the metadata log/);
  });

  it('tells a duplicate as a timed-out produce retried into a second copy', () => {
    const text = explain('retries-duplicate').stdout;
    expect(text).toMatch(/appended (p1#\d+) at offset \d+[\s\S]*produce request to broker-\d timed out[\s\S]*appended \1 again, at offset \d+/);
  });

  it('tells a duplicate before KIP-360 as a retry the leader no longer recognised: retention took its first copy, and the producer with it', () => {
    const text = explain('unknown-producer-id').stdout;
    expect(text).toMatch(
      /appended (p1#\d+) at offset (\d+)[\s\S]*c1-1 processed \1 at offset \2[\s\S]*retention deleted orders-0 below offset \d+ on broker-\d, 1 of the records in question with it; with their batches gone, it forgot 1 producer[\s\S]*p1 was told UNKNOWN_PRODUCER_ID[\s\S]*appended \1 again, at offset (\d+): .*it had forgotten the producer[\s\S]*c1-1 processed \1 at offset \3 \(again\)/,
    );
  });

  it('tells an at-most-once loss as a poll, a commit past it, and a crash before processing', () => {
    const r = explain('consumer-commit-before-crash');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s+t=/.test(l));
    const text = lines.join('\n');
    // The lesson's seed: the commit of the polled batch lands before the crash, and its records are never processed.
    expect(text).toMatch(/(c1-\d) polled orders-\d (\d+)(–\d+)? \(generation 1\)[\s\S]*committed g1's offset of orders-\d at \d+, from \1 in generation 1[\s\S]*\1 crashed/);
    expect(r.stdout).toMatch(/→ skipped: group g1 committed/);
    expect(lines.length).toBeLessThan(20);
  });

  it.runIf(DEEP)("tells a stale commit as a paused member's, taken by an unfenced coordinator after a rebalance", () => {
    const text = explain('consumer-zombie-member-unfenced').stdout;
    expect(text).toMatch(/(c1-\d) paused until[\s\S]*moved g1 to generation 2[\s\S]*took a commit of orders-\d up to \d+ from \1 in generation 1, though the group was in generation 2/);
  });

  it.runIf(DEEP)('tells a retention loss as segments deleted under a slow consumer, and its jump forward', () => {
    const text = explain('consumer-retention-loss').stdout;
    expect(text).toMatch(/retention \(broker-\d first\) deleted orders-0 up to offset (\d+)[\s\S]*c1-1 moved its position in orders-0 from \d+ to \1: its position was out of range/);
  });

  it.runIf(DEEP)("tells KIP-890's late write: timed-out produces, the abort marker, the delayed write landing after it, the next commit", () => {
    const text = explain('eos-kip890-off').stdout;
    // The delayed write lands after the abort marker and is committed by the next transaction;
    // whether before or after the client has given up on the old one depends on the delay.
    expect(text).toMatch(/(t1-1) processed (p1#\d+)[\s\S]*produce request to broker-\d timed out[\s\S]*wrote the ABORT marker of \1's transaction[\s\S]*appended an output of \2 to receipts-0 at offset \d+ — after the ABORT marker[\s\S]*wrote the COMMIT marker of \1's transaction \(epoch 1\)/);
    expect(text).toMatch(/wrote the ABORT marker of (t1-1)'s transaction[\s\S]*\1 aborted that transaction \(delivery\.timeout\.ms\)/);
    // Only the delayed write is called late: the copy written again in the next transaction is not.
    expect(text.match(/— after the ABORT marker/g)).toHaveLength(1);
    expect(text).toMatch(/→ exactly-once: processor t1/);
  });

  it.runIf(DEEP)("tells KAFKA-17754's late EndTxn: the timed-out EndTxn arriving during the next transaction, its early COMMIT, the abort and the redo", () => {
    const text = explain('eos-late-endtxn').stdout;
    expect(text).toMatch(/(t1-1) processed (p1#\d+)[\s\S]*an EndTxn \1 sent earlier, which timed out at [\d.]+s, reaches the coordinator on broker-\d only now, while another transaction is open[\s\S]*wrote the COMMIT marker of \1's transaction \(epoch 0\)[\s\S]*\1 aborted that transaction[\s\S]*processed \2 and queued its output[\s\S]*wrote the COMMIT marker of \1's transaction \(epoch 1\)/);
    expect(text).toMatch(/→ exactly-once: processor t1/);
  });

  it.runIf(DEEP)('tells an at-least-once duplicate: an output written, a crash before the offset commit, the batch processed again', () => {
    const text = explain('eos-processor-crash-no-txn').stdout;
    expect(text).toMatch(/(t1-\d) processed (p1#\d+) and queued its output\n[\s\S]*appended an output of \2[\s\S]*\1 crashed with \2 processed and its offsets not committed[\s\S]*processed \2 and queued its output[\s\S]*appended an output of \2/);
  });

  it('tells what a power loss took: each replica reopens a shorter log', () => {
    const r = cli('explain', 'power-loss-all');
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/broker-\d lost power \(its unflushed page cache is gone\) while leader of orders-0/);
    expect(text).toMatch(/broker-\d reopened its log of orders-0: it ends at \d+, not \d+; the rest was never flushed to disk, \d+ of the records in question with it/);
  });

  it("tells an idempotent duplicate after a leader change: the deposed leader's held requests, newer batches first at its successor, the epoch bump", () => {
    const text = explain('idempotent-leader-change').stdout;
    expect(text).toMatch(
      /broker-(\d), leader of (orders-\d) in epoch 0, appended p1#\d+[\s\S]*the controller elected broker-(\d) leader of \2[\s\S]*broker-\1 learned from the metadata log that it no longer leads \2[\s\S]*p1 was told OUT_OF_ORDER_SEQUENCE_NUMBER by \2's leader, .*newer ones had reached it first[\s\S]*broker-\3, leader of \2 in epoch \d+, appended p1#\d+ again/,
    );
    expect(text).not.toMatch(/one restarted only those since its last producer-state snapshot/);
  });

  it('tells an unseen violation from its cause: the expired offset, and auto.offset.reset=latest past the records', () => {
    const r = explain('consumer-offset-expiry', { violation: '2' });
    // The partition is orders-1 since replica placement stopped following the active controller
    // (re-pinned from orders-0; same story).
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/p2 began to be told its writes to orders-1 succeeded: the records in question, offsets \d+–\d+/);
    expect(r.stdout).toMatch(/offset cleanup deleted g1's committed offset of orders-1[\s\S]*why: c1-\d found no committed offset \(the committed offset had expired: offsets\.retention\.minutes\) and auto\.offset\.reset=latest put it at the log end/);
    expect(r.stdout).toMatch(/→ unseen: \d+ acknowledged messages were never read from orders-1/);
  });

  it('follows one message with --message: its append, acknowledgement, the crash of the only replica holding it, the unclean election, its loss', () => {
    const r = explain('unclean-election', { message: 'p1#1398' });
    // Re-pinned for the new replica placement (one stream forked by topic): orders-0's first
    // leader is broker-1 and the cut-off follower broker-2, so broker-1 crashes holding it,
    // broker-2 is elected uncleanly and broker-1 truncates (was broker-2 / broker-3 / broker-2).
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /p1 sent p1#1398 to orders-0[\s\S]*broker-1, leader of orders-0 in epoch 0, appended p1#1398 at offset 1398[\s\S]*p1 was told p1#1398 was written at offset 1398 of orders-0: acknowledged[\s\S]*a fault struck: crash broker-1 \(holding it\)[\s\S]*made broker-2 leader of orders-0 from outside the ISR \(an unclean election\); it holds no copy of p1#1398[\s\S]*broker-1 truncated orders-0 to offset \d+ \(diverging-epoch\), dropping its copy of p1#1398/,
    );
    expect(r.stdout).toContain('→ p1#1398 ended not in the committed log of orders-0; no consumer read it');
    const bad = cli('explain', 'unclean-election', '--message', 'p1-1398');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--message: "p1-1398" is not a message id/);
  });

  it('says in a clean run which faults struck and why nothing was lost, and exits 2 for a violation that does not exist', () => {
    const clean = explain('acks-all-nemesis');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no violations; why nothing went wrong:');
    // The nemesis's faults that struck, and why acks=all, min.insync.replicas=2 and idempotence kept every write once.
    expect(clean.stdout).toMatch(/\d+ faults struck: nemesis fault #\d+ \w+ [^;]+ at [\d.]+s;/);
    expect(clean.stdout).toMatch(/p1 \(acks=all, min\.insync\.replicas=2 for orders, unclean\.leader\.election\.enable=false\): a write was acknowledged only once 2 in-sync replicas held it/);
    // The same run as the first story's: the check of --violation comes after it.
    expect(() => explain('acks1-leader-failover', { violation: '9' })).toThrow(UsageError);
    expect(() => explain('acks1-leader-failover', { violation: '9' })).toThrow(/--violation must be between 1 and [2-8], got "9"/);
  });
});
