import type { Rng } from '../sim/rng.js';
import type { MemoryDisk } from './memoryDisk.js';

/** A disk fault as a fault schedule names it (see network/faults.ts, action 'disk'). */
export interface DiskFaultSpec {
  /** bitflip: flip `count` random bits; truncate: cut up to `count` bytes off the end. */
  readonly fault: string;
  /** A path on the disk; default: a random segment (.log) file. */
  readonly file?: string;
  readonly count?: number;
}

export const DISK_FAULTS = ['bitflip', 'truncate'] as const;

/**
 * Applies a disk fault to a node's MemoryDisk: media corruption that the log's CRCs and
 * recovery must catch. Returns false when it does not apply (an unknown fault, no such
 * file, nothing to corrupt), so the injector can record the fault as skipped.
 */
export function applyDiskFault(disk: MemoryDisk, spec: DiskFaultSpec, rng: Rng): boolean {
  const candidates = spec.file !== undefined ? [spec.file] : disk.allFiles().filter((f) => f.endsWith('.log'));
  const files = candidates.filter((f) => disk.exists(f) && disk.size(f) > 0);
  if (files.length === 0) return false;
  const file = rng.pick(files);
  const count = Math.max(1, spec.count ?? 1);
  if (spec.fault === 'bitflip' || spec.fault === 'truncate') disk.noteMediaFault();
  switch (spec.fault) {
    case 'bitflip':
      disk.flipBits(file, count, Array.from({ length: count }, () => rng.int(0, disk.size(file) * 8 - 1)));
      return true;
    case 'truncate': {
      const size = disk.size(file);
      disk.truncate(file, Math.max(0, size - rng.int(1, Math.min(size, count * 64))));
      return true;
    }
    default:
      return false;
  }
}
