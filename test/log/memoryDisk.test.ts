import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryDisk, type MemoryDiskOptions } from '../../src/log/memoryDisk.js';
import { Rng } from '../../src/sim/rng.js';
import { micros, type Time } from '../../src/sim/time.js';

describe('MemoryDisk', () => {
  it('keeps a read as it was through a truncation and re-append, an overwrite and a bit flip', () => {
    const disk = new MemoryDisk();
    disk.append('f', Buffer.from('0123456789'));
    const read = disk.read('f', 0, 10);
    disk.truncate('f', 5);
    disk.append('f', Buffer.from('abcde'));
    disk.write('f', 0, Buffer.from('AB'));
    disk.flipBits('f', 1, [3 * 8]);
    expect(read.toString()).toBe('0123456789');
    expect(disk.readAll('f').toString()).toBe('AB224abcde'); // '3' with its lowest bit flipped is '2'
  });

  it('hands out reads that no later write, truncation or bit flip changes (reads share the cache, copy-on-write)', () => {
    type Step = { kind: 'append'; n: number } | { kind: 'write'; at: number; n: number } | { kind: 'truncate'; at: number } | { kind: 'flip'; at: number } | { kind: 'read'; at: number; n: number };
    // Mostly small files (within the first chunk), sometimes past a 1 MiB chunk boundary.
    const length = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 300_000 }));
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), n: length }),
      fc.record({ kind: fc.constant('write' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5_000 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('read' as const), at: fc.nat(), n: length }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const disk = new MemoryDisk({ rng: Rng.fromSeed(1) });
        disk.append('f', Buffer.alloc(1, 7));
        const kept: { bytes: Buffer; copy: Buffer }[] = [];
        let fill = 0;
        for (const s of steps) {
          const size = disk.size('f');
          if (s.kind === 'append') disk.append('f', Buffer.alloc(s.n, ++fill));
          else if (s.kind === 'write') disk.write('f', s.at % (size + 1), Buffer.alloc(s.n, ++fill));
          else if (s.kind === 'truncate') disk.truncate('f', s.at % (size + 1));
          else if (s.kind === 'flip' && size > 0) disk.flipBits('f', 1, [(s.at % size) * 8]);
          else if (s.kind === 'read') {
            const bytes = disk.read('f', s.at % (size + 1), s.n);
            kept.push({ bytes, copy: Buffer.from(bytes) });
          }
        }
        for (const k of kept) expect(k.bytes.equals(k.copy)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps unsynced writes through a process crash and drops them on power loss', () => {
    const disk = new MemoryDisk();
    disk.append('f', Buffer.from('synced-'));
    disk.fsync('f');
    disk.append('f', Buffer.from('unsynced'));
    disk.onProcessCrash();
    expect(disk.readAll('f').toString()).toBe('synced-unsynced');
    expect(disk.unsyncedBytes()).toBe(8);
    disk.onPowerLoss();
    expect(disk.readAll('f').toString()).toBe('synced-');
  });

  it('brings back overwritten and truncated bytes that were durable', () => {
    const disk = new MemoryDisk();
    disk.append('f', Buffer.from('0123456789'));
    disk.fsync('f');
    disk.truncate('f', 4);
    disk.append('f', Buffer.from('xy'));
    disk.write('f', 0, Buffer.from('AB'));
    expect(disk.readAll('f').toString()).toBe('AB23xy');
    disk.onPowerLoss();
    expect(disk.readAll('f').toString()).toBe('0123456789');
  });

  it('makes a truncation durable when the journal commits: an fsync of any file, or a directory operation', () => {
    const commits: readonly [string, (disk: MemoryDisk) => void][] = [
      ['an fsync of another file', (disk) => disk.fsync('checkpoint')],
      ['an fsync of the file itself', (disk) => disk.fsync('f')],
      ['a rename', (disk) => disk.rename('checkpoint', 'checkpoint.moved')],
      ['a new file', (disk) => disk.append('new', Buffer.from('n'))],
      ['a deletion', (disk) => disk.delete('checkpoint')],
    ];
    for (const [what, commit] of commits) {
      const disk = new MemoryDisk();
      disk.append('checkpoint', Buffer.from('c'));
      disk.append('f', Buffer.from('0123456789'));
      disk.fsync('f');
      disk.truncate('f', 4);
      disk.append('f', Buffer.from('xy'));
      commit(disk);
      disk.onPowerLoss();
      // The cut is durable; what was appended after it is durable only if the file itself was fsynced.
      expect(disk.readAll('f').toString(), what).toBe(what === 'an fsync of the file itself' ? '0123xy' : '0123');
    }
  });

  it('keeps the shortest of several truncations once the journal commits, and forgets them all on a power loss before it', () => {
    const disk = new MemoryDisk();
    disk.append('f', Buffer.from('0123456789'));
    disk.fsync('f');
    disk.truncate('f', 6);
    disk.truncate('f', 3);
    disk.append('f', Buffer.from('abcdefgh'));
    disk.truncate('f', 8);
    disk.append('g', Buffer.from('g'));
    disk.onPowerLoss();
    expect(disk.readAll('f').toString()).toBe('012');
    disk.append('f', Buffer.from('345'));
    disk.fsync('f');
    disk.truncate('f', 1);
    disk.onPowerLoss();
    expect(disk.readAll('f').toString()).toBe('012345');
  });

  it('writes back dirty data older than the expiry (30 s by default)', () => {
    let now = 0;
    const disk = new MemoryDisk({ clock: () => now as Time, writeback: true });
    disk.append('f', Buffer.from('old-'));
    now = 29_000_000;
    disk.append('f', Buffer.from('young'));
    now = 31_000_000;
    disk.onPowerLoss();
    // 'old-' was dirty for 31 s and made it to disk; 'young' for 2 s and did not.
    expect(disk.readAll('f').toString()).toBe('old-');
  });

  it('tears the oldest unsynced write at a random point on power loss', () => {
    fc.assert(
      fc.property(fc.integer(), fc.uint8Array({ minLength: 1, maxLength: 300 }), (seed, data) => {
        const disk = new MemoryDisk({ rng: Rng.fromSeed(seed), tornWrites: true });
        disk.append('f', Buffer.from('durable'));
        disk.fsync('f');
        disk.append('f', data);
        disk.append('f', Buffer.from('later'));
        disk.onPowerLoss();
        const after = disk.readAll('f');
        expect(after.subarray(0, 7).toString()).toBe('durable');
        expect(after.length).toBeLessThanOrEqual(7 + data.length);
        expect(Buffer.from(after.subarray(7)).equals(Buffer.from(data).subarray(0, after.length - 7))).toBe(true);
      }),
    );
  });

  it('appendWithFront and appendInPieces leave what separate appends leave: the bytes, the unsynced writes a power loss tears, the chunks', () => {
    type Step = { kind: 'front'; n: number; front: number } | { kind: 'pieces'; sizes: number[] } | { kind: 'append'; n: number } | { kind: 'fsync' } | { kind: 'truncate'; at: number } | { kind: 'tick' };
    // Sizes around the 1 MiB chunk boundary too, so the split path is taken.
    const size = fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 200_000, max: 600_000 }));
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('front' as const), n: size, front: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('pieces' as const), sizes: fc.array(size.map((n) => n + 1), { minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('append' as const), n: size }),
      fc.record({ kind: fc.constant('fsync' as const) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom('torn', 'writeback', 'plain'), fc.array(step, { maxLength: 20 }), (seed, mode, steps) => {
        let now = 0;
        const options = (): MemoryDiskOptions =>
          mode === 'torn' ? { rng: Rng.fromSeed(seed), tornWrites: true } : mode === 'writeback' ? { clock: () => now as Time, writeback: micros(1_000) } : {};
        const one = new MemoryDisk(options());
        const two = new MemoryDisk(options());
        let fill = 0;
        for (const s of steps) {
          if (s.kind === 'front') {
            const data = Buffer.alloc(s.n, ++fill);
            const front = Buffer.alloc(Math.min(s.front, s.n), ++fill);
            one.appendWithFront('f', front, data);
            two.append('f', front);
            two.append('f', data.subarray(front.length));
          } else if (s.kind === 'pieces') {
            const ends = s.sizes.map((_, i) => s.sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
            const data = Buffer.alloc(ends[ends.length - 1], ++fill);
            one.appendInPieces('f', data, ends, ends.length);
            ends.forEach((end, i) => two.append('f', data.subarray(i === 0 ? 0 : ends[i - 1], end)));
          } else if (s.kind === 'append') {
            one.append('f', Buffer.alloc(s.n, ++fill));
            two.append('f', Buffer.alloc(s.n, fill));
          } else if (s.kind === 'fsync' && one.exists('f')) {
            one.fsync('f');
            two.fsync('f');
          } else if (s.kind === 'truncate' && one.exists('f')) {
            const at = s.at % (one.size('f') + 1);
            one.truncate('f', at);
            two.truncate('f', at);
          } else if (s.kind === 'tick') now += 700;
        }
        if (!one.exists('f')) return;
        expect(one.readAll('f').equals(two.readAll('f'))).toBe(true);
        expect(one.unsyncedBytes()).toBe(two.unsyncedBytes());
        expect(one.bytesHeld()).toBe(two.bytesHeld());
        one.onPowerLoss();
        two.onPowerLoss();
        expect(one.readAll('f').equals(two.readAll('f'))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('spans chunks: large files read back exactly', () => {
    const disk = new MemoryDisk();
    const big = Buffer.alloc(3 * (1 << 20) + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    disk.append('f', big.subarray(0, 1_000));
    disk.append('f', big.subarray(1_000));
    expect(disk.readAll('f').equals(big)).toBe(true);
    expect(disk.read('f', (1 << 20) - 5, 10).equals(big.subarray((1 << 20) - 5, (1 << 20) + 5))).toBe(true);
    disk.truncate('f', (1 << 20) + 3);
    expect(disk.size('f')).toBe((1 << 20) + 3);
    disk.append('f', Buffer.from([1, 2]));
    expect(Array.from(disk.read('f', (1 << 20) + 3, 5))).toEqual([1, 2]);
  });
});

describe('MemoryDisk.list', () => {
  it('lists the files of one directory, sorted, as files come and go (a property against a scan of every file)', () => {
    const dirs = ['', 'a', 'a/b', 'c'];
    const name = fc.constantFrom('x', 'y', '00000000000000000001.snapshot', '00000000000000000002.log');
    const path = fc.tuple(fc.constantFrom(...dirs), name).map(([d, n]) => (d === '' ? n : `${d}/${n}`));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), path }),
      fc.record({ kind: fc.constant('delete' as const), path }),
      fc.record({ kind: fc.constant('rename' as const), path, to: path }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const disk = new MemoryDisk();
        for (const o of ops) {
          if (o.kind === 'append') disk.append(o.path, new Uint8Array([1]));
          else if (!disk.exists(o.path)) continue;
          else if (o.kind === 'delete') disk.delete(o.path);
          else disk.rename(o.path, o.to);
        }
        for (const d of dirs) {
          const prefix = d === '' ? '' : `${d}/`;
          const scanned = disk.allFiles().filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/')).map((f) => f.slice(prefix.length));
          expect(disk.list(d)).toEqual(scanned);
        }
      }),
    );
  });
});
