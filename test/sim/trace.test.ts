import { describe, expect, it } from 'vitest';
import { MemorySink, Trace } from '../../src/sim/trace.js';
import type { Time } from '../../src/sim/time.js';

describe('Trace', () => {
  it('lets an observer see every record of one kind, without keeping records', () => {
    let now = 0;
    const trace = new Trace(() => now as Time);
    const seen: string[] = [];
    trace.observe('note', (r) => seen.push(`${r.at}:${r.text}`));
    trace.emit('client.op', { process: 'p', type: 'invoke', f: 'send', index: 0 });
    now = 7;
    trace.emit('note', { text: 'hello' });
    expect(seen).toEqual(['7:hello']);
    expect(trace.keepsRecords).toBe(false);
  });

  it('hashes the same records the same way whether or not they are kept, and refuses undeclared fields when kept', () => {
    const emitAll = (t: Trace) => {
      t.emit('note', { text: 'a', node: 'n1' });
      t.emit('client.op', { process: 'p', type: 'ok', f: 'send', index: 1, value: { offset: 3 } });
    };
    const plain = new Trace(() => 0 as Time);
    const kept = new Trace(() => 0 as Time, [new MemorySink()]);
    emitAll(plain);
    emitAll(kept);
    expect(kept.fingerprint).toBe(plain.fingerprint);
    expect(() => kept.emit('note', { text: 'x', extra: 1 } as never)).toThrow(/undeclared field\(s\) extra/);
  });
});
