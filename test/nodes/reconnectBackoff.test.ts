import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReconnectBackoff } from '../../src/nodes/reconnectBackoff.js';
import { Rng } from '../../src/sim/rng.js';

describe('ReconnectBackoff', () => {
  it('doubles from reconnect.backoff.ms with 20% jitter, never past reconnect.backoff.max.ms, and resets on success', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 12 }), fc.nat(), (initial, max, failures, seed) => {
        const b = new ReconnectBackoff(Rng.fromSeed(seed), initial, max);
        let now = 0;
        for (let k = 0; k < failures; k++) {
          b.onFailure('broker-1', now);
          const until = b.blackedOutUntil('broker-1', now) ?? now;
          const waitMs = (until - now) / 1000;
          if (max <= initial) expect(waitMs).toBe(initial);
          else {
            const term = Math.min(initial * 2 ** k, max);
            expect(waitMs).toBeGreaterThanOrEqual(Math.floor(Math.min(term * 0.8, max)));
            expect(waitMs).toBeLessThanOrEqual(Math.min(Math.ceil(term * 1.2), max));
          }
          // Other nodes are unaffected, and the backoff is over at its end.
          expect(b.blackedOutUntil('broker-2', now)).toBeUndefined();
          expect(b.blackedOutUntil('broker-1', until)).toBeUndefined();
          // The next failure comes later (a failure seen twice at one instant counts once).
          now = Math.max(until, now + 1);
        }
        b.onSuccess('broker-1');
        b.onFailure('broker-1', now);
        expect(((b.blackedOutUntil('broker-1', now) ?? now) - now) / 1000).toBeLessThanOrEqual(Math.max(initial, Math.min(Math.ceil(initial * 1.2), max)));
      }),
    );
  });

  it('counts a failure seen twice at one instant (the connection, then each request on it) once', () => {
    const once = new ReconnectBackoff(Rng.fromSeed(3), 50, 1000);
    const twice = new ReconnectBackoff(Rng.fromSeed(3), 50, 1000);
    once.onFailure('broker-1', 1000);
    twice.onFailure('broker-1', 1000);
    twice.onFailure('broker-1', 1000);
    expect(twice.blackedOutUntil('broker-1', 1000)).toBe(once.blackedOutUntil('broker-1', 1000));
    expect(twice.isReconnecting('broker-1')).toBe(true);
  });
});
