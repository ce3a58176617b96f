/**
 * The metadata log's and snapshots' CRC32C: a bit flip in __cluster_metadata-0 is caught on
 * open, as Kafka's log recovery catches a batch whose CRC fails (LogSegment.recover cuts the
 * log there), instead of handing garbage to the state machine. Found by the swarm: bit flips on
 * a broker's disk reached its metadata log once that log lived there, and the broker's
 * listener threw on the rotted records (kip101-leader-epoch cases 3 and 6,
 * consumer-static-restart case 7).
 */
import { describe, expect, it } from 'vitest';
import { MemoryDisk } from '../../../../src/log/memoryDisk.js';
import { RaftLog } from '../../../../src/nodes/controller/raft/raftLog.js';
import { encodeSnapshot, snapshotFileName } from '../../../../src/nodes/controller/raft/raftSnapshots.js';

const LOG = '__cluster_metadata-0/raft.log';

/** Rewrites `path` on `disk` with one byte changed at `at` (durably). */
function flipByte(disk: MemoryDisk, path: string, at: (bytes: Buffer) => number): void {
  const bytes = Buffer.from(disk.readAll(path));
  const i = at(bytes);
  bytes[i] ^= 0x01;
  disk.delete(path);
  disk.append(path, bytes);
  disk.fsync(path);
}

describe('the metadata log checks its records on open', () => {
  it('cuts the log at the first record whose bytes rotted, with everything after it', () => {
    const disk = new MemoryDisk();
    const log = RaftLog.open(disk);
    log.appendAsLeader(1, 'data', ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
    log.flush();
    expect(disk.exists(LOG)).toBe(true);
    const before = disk.size(LOG);
    // The digit of the third record's data ({\"c\":3}): the line stays valid JSON, the record does not.
    flipByte(disk, LOG, (b) => b.indexOf('\\"c\\":3') + 6);
    const reopened = RaftLog.open(disk);
    expect(reopened.endOffset).toBe(2);
    expect(disk.size(LOG)).toBeLessThan(before / 2 + 1);
    reopened.appendAsFollower([{ offset: 2, epoch: 1, kind: 'data', data: '{"c":3}' }]);
    expect(reopened.endOffset).toBe(3);
  });

  it('keeps every record when no byte changed', () => {
    const disk = new MemoryDisk();
    const log = RaftLog.open(disk);
    log.appendAsLeader(1, 'data', ['{"a":1}', '{"b":2}']);
    log.flush();
    expect(RaftLog.open(disk).endOffset).toBe(2);
  });
});

describe('a snapshot file checks its CRC', () => {
  it('a file with one flipped bit is not a snapshot, so opening the log does not load it', () => {
    const bytes = encodeSnapshot(7, ['{"x":1}', '{"y":2}']);
    const flipped = Buffer.from(bytes);
    flipped[flipped.indexOf('2')] ^= 0x01;
    for (const [content, kept] of [[bytes, true], [flipped, false]] as const) {
      const disk = new MemoryDisk();
      RaftLog.open(disk);
      const path = `__cluster_metadata-0/${snapshotFileName({ offset: 2, epoch: 1 })}`;
      disk.append(path, content);
      disk.fsync(path);
      expect(RaftLog.open(disk).snapshots.latestId() !== undefined).toBe(kept);
    }
  });
});
