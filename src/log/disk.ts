/**
 * The storage a log engine writes to. Every call is synchronous, as everything in a
 * simulation must be. Paths are '/'-separated and relative to the disk's root.
 */
export interface Disk {
  /** Names of the files directly inside `dir`, sorted. */
  list(dir: string): string[];
  /** Names of the directories directly inside `dir`, sorted. */
  listDirs(dir: string): string[];
  mkdir(dir: string): void;
  exists(path: string): boolean;
  size(path: string): number;
  /**
   * Up to `length` bytes from `position`; shorter at the end of the file. Later writes,
   * truncations and faults never change them: a reader may keep them (a fetch response on
   * its way across the network). They may be shared with the page cache, so they must not
   * be written to.
   */
  read(path: string, position: number, length: number): Buffer;
  /**
   * Like read, but the bytes may be a view of the file that changes with it: for a reader
   * that looks and lets go at once (scanning batch headers), never for one that keeps them.
   */
  peek(path: string, position: number, length: number): Buffer;
  readAll(path: string): Buffer;
  /** Appends, creating the file if needed. Not durable until {@link fsync}. The bytes are copied: the caller may reuse `data`. */
  append(path: string, data: Uint8Array): void;
  /**
   * Appends `data` with its first `front.length` bytes replaced by `front` (a leader's
   * offsets and epoch stamped on a producer's batch), as two writes, front then the rest,
   * exactly as two {@link append} calls would make them, but without a view of the rest.
   */
  appendWithFront(path: string, front: Uint8Array, data: Uint8Array): void;
  /**
   * Appends `data` as `pieces` appends of `data[ends[i - 1], ends[i])` (from 0; the last end
   * is `data.length`) would, write by write (a follower's batches, each its own write as
   * Kafka's log appends them), without a view of each piece.
   */
  appendInPieces(path: string, data: Uint8Array, ends: ArrayLike<number>, pieces: number): void;
  /** Writes at `position`, extending the file if needed. */
  write(path: string, position: number, data: Uint8Array): void;
  truncate(path: string, size: number): void;
  /** Makes every byte written to `path` so far durable. */
  fsync(path: string): void;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): void;
  delete(path: string): void;
  /**
   * False only when no byte can have changed on the medium since it was written (a
   * simulated disk no media fault has touched): a reader may then skip checking CRCs.
   */
  readonly mayHaveRotted?: boolean;
}

export class DiskError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'DiskError';
  }
}

export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Writes a small file atomically and durably: temp file, fsync, rename (Kafka's checkpoint files). */
export function writeFileAtomically(disk: Disk, path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp`;
  if (disk.exists(tmp)) disk.delete(tmp);
  disk.append(tmp, data);
  disk.fsync(tmp);
  disk.rename(tmp, path);
}
