import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InFlightRequests } from '../../src/network/inFlightRequests.js';
import type { PendingRequest } from '../../src/network/inFlightRequests.js';
import type { Message } from '../../src/network/nodeHost.js';

function pending(id: number, deadline: number): PendingRequest<Message> {
  return { id, deadline, settled: false, timer: undefined } as unknown as PendingRequest<Message>;
}

function settle(books: InFlightRequests<Message>, p: PendingRequest<Message>): void {
  p.settled = true;
  books.remove(p);
}

describe('InFlightRequests', () => {
  // The deadline queue keeps its array when it empties and starts again from its front: what
  // it held before must not count as queued (the last deadline, the next to expire).
  it('starts afresh once every request settled', () => {
    const books = new InFlightRequests<Message>();
    const a = pending(1, 100);
    expect(books.add(a)).toBe(true);
    settle(books, a);
    expect(books.size).toBe(0);
    // A shorter deadline than the settled request's is queued: nothing is before it.
    const b = pending(2, 50);
    expect(books.add(b)).toBe(true);
    expect(books.needsWatchdog()).toBe(true);
    books.beginWatch();
    expect(books.nextExpired(60)).toBe(b);
    expect(books.nextExpired(1_000)).toBeUndefined();
    expect(books.endWatch()).toBeUndefined();
  });

  it('times out exactly the unsettled queued requests due, in send order, whatever was settled or emptied before', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'settle', 'watch'), fc.nat(40)), { maxLength: 200 }), (ops) => {
        const books = new InFlightRequests<Message>();
        let now = 0;
        let id = 1;
        // The model: requests the queue took, unsettled and not yet timed out, in send order.
        let queued: PendingRequest<Message>[] = [];
        const open: PendingRequest<Message>[] = [];
        for (const [op, n] of ops) {
          now += 1;
          if (op === 'add') {
            // One timeout for all, as a client's requests on one connection share it.
            const p = pending(id++, now + 30);
            expect(books.add(p)).toBe(true);
            queued.push(p);
            open.push(p);
          } else if (op === 'settle' && open.length > 0) {
            const [p] = open.splice(n % open.length, 1);
            settle(books, p);
            queued = queued.filter((q) => q !== p);
          } else if (op === 'watch') {
            books.beginWatch();
            const due: PendingRequest<Message>[] = [];
            for (let p = books.nextExpired(now); p !== undefined; p = books.nextExpired(now)) due.push(p);
            books.endWatch();
            const expected = queued.filter((q) => q.deadline <= now);
            expect(due).toEqual(expected);
            queued = queued.filter((q) => q.deadline > now);
            for (const p of due) {
              settle(books, p);
              open.splice(open.indexOf(p), 1);
            }
          }
        }
        expect(books.size).toBe(open.length);
      }),
      { numRuns: 200 },
    );
  });
});
