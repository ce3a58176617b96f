import { appendFileSync, closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../sim/order.js';
import { DiskError, type Disk } from './disk.js';

/**
 * A disk backed by real files under a directory, through node:fs. Its durability is the
 * machine's; power loss cannot be simulated on it. It is what `kafkasim log dump` reads
 * and what the log benchmark measures against MemoryDisk.
 */
export class FsDisk implements Disk {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private abs(path: string): string {
    return join(this.root, path);
  }

  list(dir: string): string[] {
    const abs = this.abs(dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort(compareStrings);
  }

  listDirs(dir: string): string[] {
    const abs = this.abs(dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(compareStrings);
  }

  mkdir(dir: string): void {
    mkdirSync(this.abs(dir), { recursive: true });
  }

  exists(path: string): boolean {
    return existsSync(this.abs(path));
  }

  size(path: string): number {
    return this.guard(path, () => statSync(this.abs(path)).size);
  }

  peek(path: string, position: number, length: number): Buffer {
    return this.read(path, position, length);
  }

  read(path: string, position: number, length: number): Buffer {
    return this.guard(path, () => {
      const fd = openSync(this.abs(path), 'r');
      try {
        const buf = Buffer.alloc(length);
        const n = readSync(fd, buf, 0, length, position);
        return buf.subarray(0, n);
      } finally {
        closeSync(fd);
      }
    });
  }

  readAll(path: string): Buffer {
    return this.guard(path, () => readFileSync(this.abs(path)));
  }

  append(path: string, data: Uint8Array): void {
    appendFileSync(this.abs(path), data);
  }

  appendWithFront(path: string, front: Uint8Array, data: Uint8Array): void {
    this.append(path, front);
    this.append(path, data.subarray(front.length));
  }

  appendInPieces(path: string, data: Uint8Array, ends: ArrayLike<number>, pieces: number): void {
    for (let i = 0, from = 0; i < pieces; from = ends[i++]) this.append(path, data.subarray(from, ends[i]));
  }

  write(path: string, position: number, data: Uint8Array): void {
    this.guard(path, () => {
      const fd = openSync(this.abs(path), 'r+');
      try {
        writeSync(fd, data, 0, data.length, position);
      } finally {
        closeSync(fd);
      }
    });
  }

  truncate(path: string, size: number): void {
    this.guard(path, () => {
      const fd = openSync(this.abs(path), 'r+');
      try {
        if (statSync(this.abs(path)).size > size) ftruncateSync(fd, size);
      } finally {
        closeSync(fd);
      }
    });
  }

  fsync(path: string): void {
    this.guard(path, () => {
      const fd = openSync(this.abs(path), 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  }

  rename(from: string, to: string): void {
    this.guard(from, () => renameSync(this.abs(from), this.abs(to)));
  }

  delete(path: string): void {
    this.guard(path, () => unlinkSync(this.abs(path)));
  }

  private guard<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DiskError(code === 'ENOENT' ? 'no such file' : String((err as Error).message), path);
    }
  }
}
