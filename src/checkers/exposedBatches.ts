import { Int32Column, NumberColumn, Uint8Column } from '../sim/columns.js';
import type { ExposedBatch } from './finalState.js';

/** The batch starts right after the previous one (else its base offset is in `bases`). */
const CONTIGUOUS = 1;
/** It was exposed to its end (else how far is in `upTo`). */
const WHOLE = 2;
/** Its epoch is the previous batch's (else it is in `epochs`). */
const SAME_EPOCH = 4;

/**
 * One partition's exposed batches, in the order the ghost observer saw them, in columns: a
 * long run's leaders expose about one batch per message, and as objects they were a good
 * part of what a run keeps for its checkers. The common case costs 13 bytes a batch: it
 * follows the previous batch, was exposed to its end, in the previous batch's epoch.
 */
export class ExposedBatches implements Iterable<ExposedBatch> {
  private size = 0;
  private readonly lastOffsets = new NumberColumn();
  /** CRC32C as a signed 32-bit integer (`crc | 0`); read back with `>>> 0`. */
  private readonly crcs = new Int32Column();
  /** The instant less the previous batch's. */
  private readonly atDeltas = new NumberColumn();
  private readonly flags = new Uint8Column();
  private readonly bases = new Map<number, number>();
  private readonly upTo = new Map<number, number>();
  private readonly epochs = new Map<number, number>();
  /** A CRC that is not an unsigned 32-bit integer, kept as it is (none from a real batch header). */
  private readonly oddCrcs = new Map<number, number>();
  /** An instant the delta would not give back exactly (none while instants are whole numbers). */
  private readonly oddAts = new Map<number, number>();
  private last: ExposedBatch | undefined;

  get length(): number {
    return this.size;
  }

  push(b: ExposedBatch): void {
    const i = this.size++;
    const prev = this.last;
    let flags = 0;
    if (prev !== undefined && b.baseOffset === prev.lastOffset + 1) flags |= CONTIGUOUS;
    else this.bases.set(i, b.baseOffset);
    if (b.exposedUpTo === b.lastOffset + 1) flags |= WHOLE;
    else this.upTo.set(i, b.exposedUpTo);
    if (prev !== undefined && b.epoch === prev.epoch) flags |= SAME_EPOCH;
    else this.epochs.set(i, b.epoch);
    this.flags.set(i, flags);
    this.lastOffsets.set(i, b.lastOffset);
    this.crcs.set(i, b.crc | 0);
    if (b.crc >>> 0 !== b.crc) this.oddCrcs.set(i, b.crc);
    const delta = b.at - (prev?.at ?? 0);
    this.atDeltas.set(i, delta);
    if ((prev?.at ?? 0) + delta !== b.at) this.oddAts.set(i, b.at);
    this.last = b;
  }

  *[Symbol.iterator](): Iterator<ExposedBatch> {
    let prev: ExposedBatch | undefined;
    for (let i = 0; i < this.size; i++) {
      const flags = this.flags.get(i);
      const lastOffset = this.lastOffsets.get(i);
      const b: ExposedBatch = {
        baseOffset: (flags & CONTIGUOUS) !== 0 && prev !== undefined ? prev.lastOffset + 1 : (this.bases.get(i) ?? 0),
        lastOffset,
        epoch: (flags & SAME_EPOCH) !== 0 && prev !== undefined ? prev.epoch : (this.epochs.get(i) ?? 0),
        crc: this.oddCrcs.get(i) ?? this.crcs.get(i) >>> 0,
        exposedUpTo: (flags & WHOLE) !== 0 ? lastOffset + 1 : (this.upTo.get(i) ?? 0),
        at: this.oddAts.get(i) ?? (prev?.at ?? 0) + this.atDeltas.get(i),
      };
      yield b;
      prev = b;
    }
  }
}
