import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MetricsRegistry, total } from '../../src/sim/metrics.js';
import { MetricsRecorder } from '../../src/scenarios/metricsRecorder.js';
import type { Time } from '../../src/sim/time.js';

describe('metrics registry', () => {
  it('sums meters across restarts, reads gauges only from nodes that are up, and keeps timers as Count/Mean/Max', () => {
    const registry = new MetricsRegistry();
    const up = new Set(['broker-1', 'broker-2']);
    const b1 = registry.forNode('broker-1');
    let urp = 2;
    b1.gauge('urp', () => urp);
    registry.forNode('broker-2').gauge('urp', () => 1);
    b1.mark('shrinks');
    b1.mark('shrinks', 2);
    // A restart builds a new incarnation: its gauge replaces the old reader; meters go on.
    registry.forNode('broker-1').gauge('urp', () => urp * 10);
    registry.forNode('broker-1').mark('shrinks');
    registry.forNode('controller').time('elections', 9000);
    registry.forNode('controller').time('elections', 1000);
    let s = registry.snapshot((n) => up.has(n));
    expect(s.shrinks).toEqual({ 'broker-1': { Count: 4 } });
    expect(total(s, 'urp', 'Value')).toBe(21);
    expect(s.elections.controller).toEqual({ Count: 2, Max: 9000, Mean: 5000 });
    up.delete('broker-1');
    urp = 7;
    s = registry.snapshot((n) => up.has(n));
    expect(total(s, 'urp', 'Value')).toBe(1);
    expect(total(s, 'shrinks', 'Count')).toBe(4);
  });

  it('attributes every mark to the fault window it happened in', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ fault: fc.boolean(), marks: fc.nat(5) }), { maxLength: 30 }), (steps) => {
        const registry = new MetricsRegistry();
        const node = registry.forNode('b');
        const recorder = new MetricsRecorder(registry, () => true, 0 as Time);
        const expected: number[] = [0];
        steps.forEach((step, i) => {
          if (step.fault) {
            recorder.onFault((i * 1000) as Time, `fault ${i}`);
            expected.push(0);
          }
          if (step.marks > 0) node.mark('m', step.marks);
          expected[expected.length - 1] += step.marks;
        });
        const report = recorder.finish((steps.length * 1000) as Time);
        expect(report.aroundFaults.map((w) => w.deltas['m Count'] ?? 0)).toEqual(expected);
        expect(total(report.final, 'm', 'Count')).toBe(expected.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('reports a gauge peak between samples even when it is back by the window end', () => {
    const registry = new MetricsRegistry();
    let v = 0;
    registry.forNode('b').gauge('g', () => v);
    const recorder = new MetricsRecorder(registry, () => true, 0 as Time);
    recorder.onFault(1000 as Time, 'crash b');
    v = 3;
    recorder.sample();
    v = 0;
    const report = recorder.finish(5000 as Time);
    expect(report.aroundFaults[1]).toMatchObject({ fault: 'crash b', at: 1, until: 5, gauges: { 'g Value': { before: 0, peak: 3, after: 0 } } });
  });
});
