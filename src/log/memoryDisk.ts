import type { Rng } from '../sim/rng.js';
import { compareStrings } from '../sim/order.js';
import type { Duration, Time } from '../sim/time.js';
import { baseName, DiskError, dirOf, type Disk } from './disk.js';

export interface MemoryDiskOptions {
  /** For background writeback and torn writes; both need a clock and randomness. */
  readonly clock?: () => Time;
  readonly rng?: Rng;
  /**
   * Background writeback: dirty data older than the expiry becomes durable without an
   * fsync, as Linux's flusher threads write back pages older than
   * vm.dirty_expire_centisecs. `true` uses Linux's default of 30 s. Off by default: nothing
   * is durable until fsync.
   */
  readonly writeback?: boolean | Duration;
  /** On power loss, persist a random prefix of the oldest unsynced write (a torn write). */
  readonly tornWrites?: boolean;
}

interface PendingWrite {
  readonly at: number;
  readonly position: number;
  length: number;
}

const CHUNK = 1 << 20;

/** Linux's vm.dirty_expire_centisecs default: 3000 centiseconds. */
export const DIRTY_EXPIRE_DEFAULT = 30_000_000 as Duration;

/**
 * A file's bytes in 1 MiB chunks: appends never move what is already written, and a large
 * log costs no doubling copies or twice its size in slack.
 *
 * Bytes below `length` are never changed in place: an overwrite, a truncation or a bit flip
 * first replaces the chunks it touches with copies (copy-on-write). So a view of written
 * bytes is a snapshot, and a read can hand one out without copying, as Kafka's sendfile
 * hands the page cache to the socket.
 */
class ChunkedBytes {
  private chunks: Buffer[] = [];
  length = 0;

  static from(content: Uint8Array): ChunkedBytes {
    const c = new ChunkedBytes();
    c.write(0, content);
    return c;
  }

  write(position: number, data: Uint8Array): void {
    const end = position + data.length;
    if (position < this.length) this.copyChunks(position, Math.min(end, this.length));
    this.reserve(end);
    const offset0 = position % CHUNK;
    if (offset0 + data.length <= CHUNK) {
      // The common case, an append inside one chunk: no views to make.
      this.chunks[(position - offset0) / CHUNK].set(data, offset0);
      if (end > this.length) this.length = end;
      return;
    }
    let done = 0;
    while (done < data.length) {
      const at = position + done;
      const chunk = this.chunks[Math.floor(at / CHUNK)];
      const offset = at % CHUNK;
      const n = Math.min(CHUNK - offset, data.length - done);
      chunk.set(data.subarray(done, done + n), offset);
      done += n;
    }
    if (end > this.length) this.length = end;
  }

  /**
   * `data` at the end with its first bytes replaced by `front`, as `write(front)` and then
   * `write(rest)` would leave them, but with no view of the rest when it fits in one chunk:
   * `data` whole, then `front` over its head. Nothing can read those head bytes in between,
   * so bytes below `length` still never change once a write returns.
   */
  writeWithFront(position: number, front: Uint8Array, data: Uint8Array): void {
    const offset0 = position % CHUNK;
    if (position !== this.length || offset0 + data.length > CHUNK) {
      this.write(position, front);
      this.write(position + front.length, data.subarray(front.length));
      return;
    }
    // The same growth steps as the two writes, so the chunks come out the same size.
    this.reserve(position + front.length);
    this.reserve(position + data.length);
    const chunk = this.chunks[(position - offset0) / CHUNK];
    chunk.set(data, offset0);
    chunk.set(front, offset0);
    this.length = position + data.length;
  }

  /**
   * `data` at the end, as writes of its pieces (ending at `ends[i]`) one after the other
   * would leave it: the first chunk grows by the same steps, then the bytes go in at once.
   */
  writeInPieces(position: number, data: Uint8Array, ends: ArrayLike<number>, pieces: number): void {
    if (position !== this.length) throw new Error(`pieces are appended at the end (${this.length}), not at ${position}`);
    for (let i = 0; i < pieces; i++) this.reserve(position + ends[i]);
    this.write(position, data);
  }

  /**
   * Makes room for `end` bytes. The first chunk starts small and doubles up to a full
   * chunk, so the many small files (indexes, checkpoints) stay small.
   */
  private reserve(end: number): void {
    if (end <= CHUNK) {
      const first = this.chunks[0];
      if (first === undefined || first.length < end) {
        // Unzeroed: nothing past `length` is read (no write starts past the end).
        const grown = Buffer.allocUnsafeSlow(Math.min(CHUNK, Math.max(64, end, (first?.length ?? 0) * 4)));
        if (first !== undefined) first.copy(grown, 0, 0, this.length);
        this.chunks[0] = grown;
      }
      return;
    }
    if (this.chunks.length > 0 && this.chunks[0].length < CHUNK) this.reserve(CHUNK);
    // Full chunks need no zeroing: nothing past `length` is ever read.
    while (this.chunks.length * CHUNK < end) this.chunks.push(Buffer.allocUnsafeSlow(CHUNK));
  }

  /** Bytes of memory the chunks take (what a benchmark subtracts to see everything else a run holds). */
  get bytesHeld(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** Copies [from, to) into `target` at `targetPos`. */
  copyTo(target: Uint8Array, targetPos: number, from: number, to: number): void {
    let at = from;
    while (at < to) {
      const chunk = this.chunks[Math.floor(at / CHUNK)];
      const offset = at % CHUNK;
      const n = Math.min(CHUNK - offset, to - at);
      target.set(chunk.subarray(offset, offset + n), targetPos + (at - from));
      at += n;
    }
  }

  /** [from, to) without a copy when it lies in one chunk. */
  view(from: number, to: number): Buffer {
    const offset = from % CHUNK;
    if (offset + (to - from) <= CHUNK) return this.chunks[Math.floor(from / CHUNK)].subarray(offset, offset + (to - from));
    return this.read(from, to);
  }

  /** A fresh copy of [from, to). */
  read(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    this.copyTo(out, 0, from, to);
    return out;
  }

  truncate(size: number): void {
    if (size >= this.length) return;
    const keep = Math.ceil(size / CHUNK);
    this.chunks.length = keep;
    if (keep > 0 && size % CHUNK !== 0) {
      // The cut bytes read as zeros after a later extension, as in a sparse file; the kept
      // ones move to a fresh chunk, so views of the old one stay as they were.
      const old = this.chunks[keep - 1];
      const fresh = Buffer.alloc(old.length);
      old.copy(fresh, 0, 0, size % CHUNK);
      this.chunks[keep - 1] = fresh;
    }
    this.length = size;
  }

  /** Replaces the chunks holding [from, to) with copies, before bytes there change. */
  private copyChunks(from: number, to: number): void {
    for (let k = Math.floor(from / CHUNK); k * CHUNK < to; k++) this.chunks[k] = Buffer.from(this.chunks[k]);
  }

  flipBit(bit: number): void {
    const byte = bit >> 3;
    this.copyChunks(byte, byte + 1);
    this.chunks[Math.floor(byte / CHUNK)][byte % CHUNK] ^= 1 << (bit & 7);
  }
}

/**
 * One file: what processes see (the page cache) and what would survive a power loss.
 * While a file is only appended to since its last fsync, the durable content is a prefix of
 * the cached content and costs no copy; the first write or truncate below that prefix
 * snapshots the durable bytes.
 */
class MemoryFile {
  data = new ChunkedBytes();
  durableLength = 0;
  durableCopy: Buffer | null = null;
  /** Unsynced writes, oldest first, from `pendingHead` on. */
  pending: PendingWrite[] = [];
  pendingHead = 0;
  /**
   * The shortest size a truncation cut this file to, below what was durable, since the
   * file system's journal last committed: the cut is durable once it commits.
   */
  uncommittedCut: number | undefined;

  get size(): number {
    return this.data.length;
  }

  get bytesHeld(): number {
    return this.data.bytesHeld + (this.durableCopy?.length ?? 0);
  }

  durableContent(): Buffer {
    return this.durableCopy ?? this.data.read(0, this.durableLength);
  }

  /** Before bytes below the durable prefix change, keep a copy of what is durable. */
  protectDurable(from: number): void {
    if (this.durableCopy === null && from < this.durableLength) this.durableCopy = this.data.read(0, this.durableLength);
  }

  sync(): void {
    this.durableCopy = null;
    this.durableLength = this.size;
    this.pending = [];
    this.pendingHead = 0;
    this.uncommittedCut = undefined;
  }

  /** A truncation to `size`: the durable bytes beyond it go when the journal commits. */
  cut(size: number): void {
    if (size < (this.durableCopy?.length ?? this.durableLength)) this.uncommittedCut = Math.min(this.uncommittedCut ?? size, size);
    this.protectDurable(size);
    this.data.truncate(size);
  }

  /** The journal committed: a truncation since the last commit is durable now. */
  commitCut(): void {
    const cut = this.uncommittedCut;
    if (cut === undefined) return;
    this.uncommittedCut = undefined;
    if (this.durableCopy === null) this.durableLength = Math.min(this.durableLength, cut);
    else if (cut < this.durableCopy.length) this.durableCopy = Buffer.from(this.durableCopy.subarray(0, cut));
  }

  /** Makes the written range durable, as the kernel's writeback would (with the journal commit that data waits for, in ordered mode). */
  writeBack(w: PendingWrite): void {
    this.commitCut();
    const end = Math.min(w.position + w.length, this.size);
    if (this.durableCopy === null && w.position === this.durableLength) {
      this.durableLength = Math.max(this.durableLength, end);
      return;
    }
    const durable = this.durableContent();
    const grown = Buffer.alloc(Math.max(durable.length, end));
    durable.copy(grown);
    if (end > w.position) this.data.copyTo(grown, w.position, w.position, end);
    this.durableCopy = grown;
  }
}

/**
 * The simulation's disk: an in-memory file system with a page cache. Written bytes are
 * volatile until fsync; a process crash loses nothing (the page cache belongs to the
 * operating system) while a power loss drops everything unsynced, optionally tearing the
 * oldest unsynced write. Optional background writeback makes old dirty data durable, and
 * bit flips can be injected. It is deterministic: randomness comes from the given stream.
 *
 * Simplification (see docs/fidelity.md): directory operations (create, rename, delete) are
 * durable at once, as on a journaling file system that has committed its journal.
 *
 * A truncation changes a file's size, which is metadata: it is durable once the journal
 * commits. The journal is the file system's, not the file's, and every fsync forces it to
 * commit (ext4's jbd2 commits its running transaction as a whole), as does every directory
 * operation here. So a truncation followed by an fsync of any file survives a power loss,
 * as Kafka relies on: it truncates a follower's log without fsync
 * (LogSegment.truncateTo, FileRecords.truncateTo), then fsyncs the leader epoch checkpoint
 * that no longer names the cut records (LeaderEpochFileCache.assign, writeToFile).
 */
export class MemoryDisk implements Disk {
  private readonly files = new Map<string, MemoryFile>();
  /** The names of the files in each directory, so that listing one reads that directory alone, not every file of the disk. */
  private readonly names = new Map<string, Set<string>>();
  /** Files truncated below their durable content since the journal last committed. */
  private readonly uncommittedCuts = new Set<MemoryFile>();
  private readonly dirs = new Set<string>(['']);
  private readonly clock?: () => Time;
  private readonly rng?: Rng;
  private readonly writebackExpiry?: Duration;
  private readonly tornWrites: boolean;

  constructor(options: MemoryDiskOptions = {}) {
    this.clock = options.clock;
    this.rng = options.rng;
    this.writebackExpiry = options.writeback === true ? DIRTY_EXPIRE_DEFAULT : options.writeback === false ? undefined : options.writeback;
    this.tornWrites = options.tornWrites ?? false;
    if (this.writebackExpiry !== undefined && this.clock === undefined) throw new Error('writeback needs a clock');
    if (this.tornWrites && this.rng === undefined) throw new Error('torn writes need a random stream');
  }

  // ------------------------------------------------------------------ Disk

  list(dir: string): string[] {
    const names = this.names.get(dir);
    return names === undefined ? [] : [...names].sort(compareStrings);
  }

  listDirs(dir: string): string[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const out: string[] = [];
    for (const d of this.dirs) {
      if (d !== dir && d.startsWith(prefix) && !d.slice(prefix.length).includes('/')) out.push(d.slice(prefix.length));
    }
    return out.sort(compareStrings);
  }

  mkdir(dir: string): void {
    let d = dir;
    while (d !== '' && !this.dirs.has(d)) {
      this.dirs.add(d);
      d = dirOf(d);
      this.commitJournal();
    }
  }

  exists(path: string): boolean {
    return this.files.has(path);
  }

  size(path: string): number {
    return this.file(path).size;
  }

  read(path: string, position: number, length: number): Buffer {
    const f = this.file(path);
    const end = Math.min(f.size, position + length);
    // Written bytes never change in place (see ChunkedBytes), so a view is a snapshot.
    return position >= end ? Buffer.alloc(0) : f.data.view(position, end);
  }

  peek(path: string, position: number, length: number): Buffer {
    const f = this.file(path);
    const end = Math.min(f.size, position + length);
    return position >= end ? Buffer.alloc(0) : f.data.view(position, end);
  }

  readAll(path: string): Buffer {
    const f = this.file(path);
    return f.data.read(0, f.size);
  }

  append(path: string, data: Uint8Array): void {
    const f = this.files.get(path) ?? this.create(path);
    this.writeAt(f, f.size, data);
  }

  appendWithFront(path: string, front: Uint8Array, data: Uint8Array): void {
    const f = this.files.get(path) ?? this.create(path);
    const position = f.size;
    // Writeback after each write reads the file's size: it must see the front alone first.
    if (front.length === 0 || data.length <= front.length || this.writebackExpiry !== undefined) {
      this.writeAt(f, position, front);
      this.writeAt(f, f.size, data.subarray(front.length));
      return;
    }
    f.protectDurable(position);
    f.data.writeWithFront(position, front, data);
    // The unsynced writes, one by one, as two appends record them.
    this.noteWrite(f, position, front.length);
    this.noteWrite(f, position + front.length, data.length - front.length);
  }

  appendInPieces(path: string, data: Uint8Array, ends: ArrayLike<number>, pieces: number): void {
    if (pieces <= 0 || ends[pieces - 1] !== data.length) throw new DiskError(`pieces must end at the data's end (${data.length})`, path);
    const f = this.files.get(path) ?? this.create(path);
    const position = f.size;
    if (this.writebackExpiry !== undefined) {
      // Writeback after each write reads the file's size: piece by piece, as separate appends.
      for (let i = 0, from = 0; i < pieces; from = ends[i++]) this.writeAt(f, f.size, data.subarray(from, ends[i]));
      return;
    }
    f.protectDurable(position);
    f.data.writeInPieces(position, data, ends, pieces);
    // The unsynced writes, piece by piece, as separate appends record them.
    for (let i = 0, from = 0; i < pieces; from = ends[i++]) if (ends[i] > from) this.noteWrite(f, position + from, ends[i] - from);
  }

  write(path: string, position: number, data: Uint8Array): void {
    const f = this.file(path);
    if (position > f.size) throw new DiskError(`write at ${position} beyond the end (${f.size})`, path);
    this.writeAt(f, position, data);
  }

  truncate(path: string, size: number): void {
    const f = this.file(path);
    if (size >= f.size) return;
    f.cut(size);
    if (f.uncommittedCut !== undefined) this.uncommittedCuts.add(f);
  }

  fsync(path: string): void {
    this.file(path).sync();
    this.commitJournal();
  }

  rename(from: string, to: string): void {
    const f = this.file(from);
    this.mkdir(dirOf(to));
    this.files.delete(from);
    this.unlisted(from);
    this.files.set(to, f);
    this.listed(to);
    this.commitJournal();
  }

  delete(path: string): void {
    const f = this.file(path);
    this.files.delete(path);
    this.unlisted(path);
    this.uncommittedCuts.delete(f);
    this.commitJournal();
  }

  /** The file system's journal commits (an fsync forces it; directory operations here are durable at once): every truncation so far is durable. */
  private commitJournal(): void {
    if (this.uncommittedCuts.size === 0) return;
    for (const f of this.uncommittedCuts) f.commitCut();
    this.uncommittedCuts.clear();
  }

  // ------------------------------------------------------------------ faults

  /** A process crash: the page cache survives, so nothing is lost. */
  onProcessCrash(): void {}

  /**
   * A power loss: every file reverts to its durable content, plus whatever writeback had
   * made durable, plus, with torn writes, a random prefix of its oldest unsynced write.
   */
  onPowerLoss(): void {
    for (const f of this.files.values()) {
      this.writeBackExpired(f);
      let content = Buffer.from(f.durableContent());
      const oldest = f.pending[f.pendingHead];
      if (this.tornWrites && this.rng !== undefined && oldest !== undefined && oldest.position <= content.length) {
        const keep = this.rng.int(0, oldest.length);
        const end = Math.min(oldest.position + keep, f.size);
        const torn = Buffer.alloc(Math.max(content.length, end));
        content.copy(torn);
        if (end > oldest.position) f.data.copyTo(torn, oldest.position, oldest.position, end);
        content = torn;
      }
      f.data = ChunkedBytes.from(content);
      f.sync();
    }
    this.uncommittedCuts.clear();
  }

  /** Whether a media fault has changed any byte (see Disk.mayHaveRotted). */
  get mayHaveRotted(): boolean {
    return this.rotted;
  }

  private rotted = false;

  /** Records that a media fault changed bytes behind the writer's back (a flip, a cut). */
  noteMediaFault(): void {
    this.rotted = true;
  }

  /** Flips `count` random bits of a file, in the cache and on the platter alike (media corruption). */
  flipBits(path: string, count = 1, positions?: readonly number[]): number[] {
    const f = this.file(path);
    if (f.size === 0) return [];
    this.rotted = true;
    const flipped: number[] = [];
    for (let i = 0; i < count; i++) {
      const bit = positions?.[i] ?? (this.rng ?? failNoRng()).int(0, f.size * 8 - 1);
      const byte = bit >> 3;
      f.data.flipBit(bit);
      if (f.durableCopy !== null && byte < f.durableCopy.length) f.durableCopy[byte] ^= 1 << (bit & 7);
      flipped.push(bit);
    }
    return flipped;
  }

  /** Bytes written but not yet durable, over all files (for tests and reports). */
  unsyncedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) for (let i = f.pendingHead; i < f.pending.length; i++) n += f.pending[i].length;
    return n;
  }

  /** Every file path, sorted. */
  allFiles(): string[] {
    return [...this.files.keys()].sort(compareStrings);
  }

  // ------------------------------------------------------------------ internals

  /** Bytes of memory the files take: page cache chunks and durable copies (for the soak benchmark's accounting). */
  bytesHeld(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.bytesHeld;
    return n;
  }

  private file(path: string): MemoryFile {
    const f = this.files.get(path);
    if (f === undefined) throw new DiskError('no such file', path);
    return f;
  }

  private create(path: string): MemoryFile {
    const f = new MemoryFile();
    this.mkdir(dirOf(path));
    this.files.set(path, f);
    this.listed(path);
    this.commitJournal();
    return f;
  }

  /** `path` is a file now: its directory lists it. */
  private listed(path: string): void {
    const dir = dirOf(path);
    let names = this.names.get(dir);
    if (names === undefined) this.names.set(dir, (names = new Set()));
    names.add(baseName(path));
  }

  /** `path` is a file no more. */
  private unlisted(path: string): void {
    this.names.get(dirOf(path))?.delete(baseName(path));
  }

  private writeAt(f: MemoryFile, position: number, data: Uint8Array): void {
    if (data.length === 0) return;
    f.protectDurable(position);
    f.data.write(position, data);
    this.noteWrite(f, position, data.length);
  }

  /** Records an unsynced write of `length` bytes at `position` (and writes back what has expired). */
  private noteWrite(f: MemoryFile, position: number, length: number): void {
    const at = this.clock?.() ?? 0;
    const last = f.pending.length > f.pendingHead ? f.pending[f.pending.length - 1] : undefined;
    // When neither writeback nor torn writes look at unsynced writes one by one, a write
    // that carries on where the last one ended joins it (a log that is never fsynced
    // would otherwise keep one entry per append).
    if (last !== undefined && last.position + last.length === position && this.writebackExpiry === undefined && !this.tornWrites) last.length += length;
    else f.pending.push({ at, position, length });
    if (this.writebackExpiry !== undefined) this.writeBackExpired(f);
  }

  private writeBackExpired(f: MemoryFile): void {
    if (this.writebackExpiry === undefined || this.clock === undefined) return;
    const horizon = this.clock() - this.writebackExpiry;
    while (f.pendingHead < f.pending.length && f.pending[f.pendingHead].at <= horizon) f.writeBack(f.pending[f.pendingHead++]);
    if (f.pendingHead > 1024 && f.pendingHead * 2 > f.pending.length) {
      f.pending = f.pending.slice(f.pendingHead);
      f.pendingHead = 0;
    }
  }
}

function failNoRng(): never {
  throw new Error('random bit flips need a random stream');
}
