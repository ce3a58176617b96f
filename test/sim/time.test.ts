import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DurationSyntaxError, formatDuration, formatTime, parseDuration, time } from '../../src/sim/time.js';

describe('durations', () => {
  it('parses the units scenario files use', () => {
    expect(parseDuration('250us')).toBe(250);
    expect(parseDuration('5ms')).toBe(5_000);
    expect(parseDuration('1.5s')).toBe(1_500_000);
    expect(parseDuration('2m')).toBe(120_000_000);
    expect(parseDuration('1h')).toBe(3_600_000_000);
    expect(parseDuration(' 0s ')).toBe(0);
  });

  it('refuses malformed or sub-microsecond text, naming it', () => {
    for (const bad of ['', '5', 'ms', '5 sec', '-1s', '0.5us', '1e3ms', '1,5s']) {
      expect(() => parseDuration(bad)).toThrow(DurationSyntaxError);
    }
    expect(() => parseDuration('5 sec')).toThrow(/"5 sec"/);
  });

  it('prints what it parses back to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (d) => {
        expect(parseDuration(formatDuration(d))).toBe(d);
      }),
    );
  });

  it('prints instants with millisecond precision', () => {
    expect(formatTime(time(10_002_345))).toBe('10.002s');
    expect(formatTime(time(0))).toBe('0.000s');
  });
});
