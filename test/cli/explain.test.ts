import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('kafkasim explain', () => {
  it("narrates a lost write's causal chain: the append, the leader's crash, the election, the truncation", () => {
    const r = cli('explain', 'acks1-leader-failover');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s+t=/.test(l));
    const text = lines.join('\n');
    expect(text).toMatch(/broker-\d, leader of orders-0 in epoch \d+, appended offsets \d+–\d+/);
    expect(text).toMatch(/broker-(\d) crashed .* while leader of orders-0 \(epoch \d+\); its log ended at \d+, the followers had broker-\d up to \d+/);
    expect(text).toMatch(/the controller elected broker-\d leader of orders-0 \(epoch \d+\) from the ISR \[[\d,]+\]/);
    expect(text).toMatch(/truncated orders-0 from \d+ to offset \d+: .*dropping \d+ of the records in question/);
    expect(r.stdout).toMatch(/→ lost-write: \d+ acknowledged messages are not in the committed log of orders-0/);
    // A causal chain, not a dump of the run's hundreds of thousands of events.
    expect(lines.length).toBeLessThan(30);
    // In order of time.
    const times = lines.map((l) => Number(/t=\s*([\d.]+)s/.exec(l)?.[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('says when an election was unclean, and prints JSON with --json', () => {
    const r = cli('explain', 'unclean-election', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { violation: { kind: string }; timeline: { at: number; text: string }[] };
    expect(out.violation.kind).toBe('lost-write');
    expect(out.timeline.some((l) => /from outside the ISR .*: an unclean election/.test(l.text))).toBe(true);
  });

  it('tells a duplicate as a timed-out produce retried into a second copy', () => {
    const text = cli('explain', 'retries-duplicate').stdout;
    expect(text).toMatch(/appended (p1#\d+) at offset \d+[\s\S]*produce request to broker-\d timed out[\s\S]*appended \1 again, at offset \d+/);
  });

  it('tells what a power loss took: each replica reopens a shorter log', () => {
    const text = cli('explain', 'power-loss-all').stdout;
    expect(text).toMatch(/broker-\d lost power \(its unflushed page cache is gone\) while leader of orders-0/);
    expect(text).toMatch(/broker-\d reopened its log of orders-0: it ends at \d+, not \d+; the rest was never flushed to disk, \d+ of the records in question with it/);
  });

  it('has nothing to explain in a clean run, and exits 2 for a violation that does not exist', () => {
    const clean = cli('explain', 'acks-all-nemesis');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no violations: nothing to explain');
    const bad = cli('explain', 'acks1-leader-failover', '--violation', '9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--violation must be between 1 and 2');
  });
});
