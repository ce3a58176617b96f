import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { message, produceRequest, type ProduceRequest } from '../../../src/nodes/protocol.js';

describe('produceRequest', () => {
  it('builds what message("Produce", body) builds: the same fields, in the same order, and the same size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0' as const, '1' as const, 'all' as const),
        fc.nat(120_000),
        fc.string({ maxLength: 12 }),
        fc.array(fc.record({ partition: fc.nat(50), records: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }), { maxLength: 6 }),
        (acks, timeoutMs, topic, partitions) => {
          const direct = produceRequest(acks, timeoutMs, topic, partitions);
          const generic = message<ProduceRequest>('Produce', { acks, timeoutMs, topic, partitions });
          expect(direct).toEqual(generic);
          expect(Object.keys(direct)).toEqual(Object.keys(generic));
          expect(direct.partitions).toBe(partitions);
        },
      ),
    );
  });
});
