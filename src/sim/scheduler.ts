import type { Duration, Time } from './time.js';

/** What an event does when it fires. It runs at its scheduled time, with `now` set to it. */
export type EventFn = () => void;

declare const handleBrand: unique symbol;
/** Names one scheduled event, for {@link Scheduler.cancel}. Stale handles are harmless. */
export type TimerHandle = number & { readonly [handleBrand]: true };

export interface RunOptions {
  /** Stop before the first event later than this instant, and leave the clock at it. */
  readonly until?: Time;
  /** Stop after this many events have fired in this call. */
  readonly maxEvents?: number;
  /** Checked after every event; the run stops as soon as it returns true. */
  readonly stopWhen?: () => boolean;
}

export type StopReason = 'idle' | 'until' | 'maxEvents' | 'stopped';

export interface RunResult {
  readonly reason: StopReason;
  /** Events fired by this call. */
  readonly events: number;
}

/**
 * A handle packs a slot index (low 24 bits' worth) and that slot's generation, so a handle
 * to an event that already fired or was cancelled never matches a later event reusing the slot.
 */
const SLOT_SPAN = 1 << 24;
const GENERATION_LIMIT = 1 << 29;
const NO_TAG = 0;
/** Cancelled entries are swept out of the heap once they are this many and half of it. */
const COMPACT_MIN = 256;

/**
 * The discrete-event scheduler: a binary min-heap ordered by (time, insertion sequence), so
 * events at the same instant fire first-in first-out. It is the only source of progress in a
 * run; nothing else may call back into simulated code.
 *
 * The heap holds only what every sift touches, each event's time and slot, in two parallel
 * typed arrays. A slot (recycled through a free list) holds the callback, the insertion
 * sequence (read only to break ties), a generation for stale-handle detection and an owner
 * tag. Cancellation is lazy: it empties the slot, the entry is dropped when it reaches the
 * top, and when cancelled entries make up half the heap they are swept out in one O(n) pass,
 * so request timeouts that are nearly always cancelled cannot bloat it.
 */
export class Scheduler {
  private nowMicros = 0;
  private nextSeq = 0;
  private fired = 0;

  // Heap order: index = position in the heap.
  private heapTime: Float64Array;
  private heapSlot: Int32Array;
  private size = 0;
  /** Heap entries whose slot was cancelled but which have not reached the top yet. */
  private cancelledInHeap = 0;

  // Slot order: index = slot.
  private slotFn: (((arg: unknown) => void) | undefined)[];
  /** The argument an event's function is called with (see atWith); undefined for most. */
  private slotArg: unknown[];
  private slotSeq: Float64Array;
  private slotGeneration: Int32Array;
  private slotTag: Int32Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private slotsUsed = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, initialCapacity);
    this.heapTime = new Float64Array(capacity);
    this.heapSlot = new Int32Array(capacity);
    this.slotFn = new Array<((arg: unknown) => void) | undefined>(capacity).fill(undefined);
    this.slotArg = new Array<unknown>(capacity).fill(undefined);
    this.slotSeq = new Float64Array(capacity);
    this.slotGeneration = new Int32Array(capacity);
    this.slotTag = new Int32Array(capacity);
    this.freeSlots = new Int32Array(capacity);
  }

  /** The current simulated instant: the time of the event firing now, or of the last one. */
  get now(): Time {
    return this.nowMicros as Time;
  }

  /** Events waiting to fire. */
  get pending(): number {
    return this.size - this.cancelledInHeap;
  }

  /** Events fired since the scheduler was made. */
  get eventsFired(): number {
    return this.fired;
  }

  /** The time of the next event, or undefined when nothing is pending. */
  peekTime(): Time | undefined {
    this.dropCancelledTop();
    return this.size === 0 ? undefined : (this.heapTime[0] as Time);
  }

  /**
   * Schedules `fn` at instant `at`. A `tag` (a positive integer, such as a node incarnation)
   * lets {@link cancelTagged} drop every event of one owner at once.
   */
  at(at: Time, fn: EventFn, tag: number = NO_TAG): TimerHandle {
    return this.atWith(at, fn, undefined, tag);
  }

  /**
   * As {@link at}, calling `fn(arg)`: a caller that schedules the same function for many
   * events (a node's timers, each wrapped to run on that node) passes what differs as `arg`
   * instead of allocating a closure per event.
   */
  atWith<A>(at: Time, fn: (arg: A) => void, arg: A, tag: number = NO_TAG): TimerHandle {
    if (!(at >= this.nowMicros)) {
      throw new RangeError(`cannot schedule at ${at}us: it is before now (${this.nowMicros}us) or not a number`);
    }
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.newSlot();
    const seq = this.nextSeq++;
    this.slotFn[slot] = fn as (arg: unknown) => void;
    this.slotArg[slot] = arg;
    this.slotSeq[slot] = seq;
    this.slotTag[slot] = tag;
    if (this.size === this.heapTime.length) this.growHeap();
    // Sift up with a hole: move parents down until the new key fits.
    const heapTime = this.heapTime;
    const heapSlot = this.heapSlot;
    const slotSeq = this.slotSeq;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = heapTime[parent];
      if (pt < at || (pt === at && slotSeq[heapSlot[parent]] < seq)) break;
      heapTime[i] = pt;
      heapSlot[i] = heapSlot[parent];
      i = parent;
    }
    heapTime[i] = at;
    heapSlot[i] = slot;
    return (this.slotGeneration[slot] * SLOT_SPAN + slot) as TimerHandle;
  }

  /** Schedules `fn` after `delay` from now. */
  after(delay: Duration, fn: EventFn, tag: number = NO_TAG): TimerHandle {
    return this.afterWith(delay, fn, undefined, tag);
  }

  /** As {@link after}, calling `fn(arg)` (see atWith). */
  afterWith<A>(delay: Duration, fn: (arg: A) => void, arg: A, tag: number = NO_TAG): TimerHandle {
    if (!(delay >= 0)) throw new RangeError(`delay must be a non-negative number of microseconds, got ${delay}`);
    return this.atWith((this.nowMicros + delay) as Time, fn, arg, tag);
  }

  /** Cancels a pending event. Returns false if it already fired or was cancelled. */
  cancel(handle: TimerHandle): boolean {
    const slot = handle % SLOT_SPAN;
    const generation = (handle - slot) / SLOT_SPAN;
    if (slot >= this.slotsUsed || this.slotGeneration[slot] !== generation || this.slotFn[slot] === undefined) {
      return false;
    }
    // Empty the slot and move its generation on, so this handle is stale from now; the slot
    // itself is freed when its heap entry is dropped. Its argument goes now too: an entry can
    // wait long in the heap (a timer an hour out), and its argument may hold a crashed node's
    // whole state.
    this.slotFn[slot] = undefined;
    this.slotArg[slot] = undefined;
    this.slotGeneration[slot] = nextGeneration(generation);
    this.cancelledInHeap++;
    if (this.cancelledInHeap >= COMPACT_MIN && this.cancelledInHeap * 2 >= this.size) this.compact(NO_TAG);
    return true;
  }

  /** Cancels every pending event scheduled with `tag`. O(n); meant for crashes, which are rare. */
  cancelTagged(tag: number): number {
    if (tag === NO_TAG) throw new RangeError('tag 0 means untagged and cannot be cancelled as a group');
    return this.compact(tag);
  }

  /** Fires the next event, if any. Returns false when nothing is pending. */
  step(): boolean {
    this.dropCancelledTop();
    if (this.size === 0) return false;
    this.fireTop();
    return true;
  }

  /** Fires events in order until the heap is empty or an option says stop. */
  run(options: RunOptions = {}): RunResult {
    const until = options.until ?? Number.POSITIVE_INFINITY;
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    const stopWhen = options.stopWhen;
    if (until < this.nowMicros) throw new RangeError(`cannot run until ${until}us: it is before now (${this.nowMicros}us)`);
    let events = 0;
    for (;;) {
      if (this.cancelledInHeap > 0) this.dropCancelledTop();
      if (this.size === 0) break;
      if (this.heapTime[0] > until) {
        this.nowMicros = until;
        return { reason: 'until', events };
      }
      if (events >= maxEvents) return { reason: 'maxEvents', events };
      this.fireTop();
      events++;
      if (stopWhen !== undefined && stopWhen()) return { reason: 'stopped', events };
    }
    if (until !== Number.POSITIVE_INFINITY) this.nowMicros = until;
    return { reason: 'idle', events };
  }

  /** Pops and runs the top entry, which the caller knows is live. */
  private fireTop(): void {
    const slot = this.heapSlot[0];
    this.nowMicros = this.heapTime[0];
    const fn = this.slotFn[slot] as (arg: unknown) => void;
    const arg = this.slotArg[slot];
    this.popTop();
    this.releaseSlot(slot);
    this.fired++;
    fn(arg);
  }

  private dropCancelledTop(): void {
    while (this.size > 0 && this.slotFn[this.heapSlot[0]] === undefined) {
      const slot = this.heapSlot[0];
      this.popTop();
      this.freeSlots[this.freeCount++] = slot;
      this.cancelledInHeap--;
    }
  }

  /** Removes the root, sifting the last entry down from it. */
  private popTop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.siftDown(0, this.heapTime[last], this.heapSlot[last]);
  }

  /**
   * Drops from the heap every cancelled entry, and every live entry tagged `tag` (unless
   * tag is NO_TAG), then restores heap order bottom-up. Returns how many live events it cancelled.
   */
  private compact(tag: number): number {
    let kept = 0;
    let cancelled = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = this.heapSlot[i];
      const fn = this.slotFn[slot];
      if (fn === undefined) {
        this.freeSlots[this.freeCount++] = slot;
      } else if (tag !== NO_TAG && this.slotTag[slot] === tag) {
        this.releaseSlot(slot);
        cancelled++;
      } else {
        this.heapTime[kept] = this.heapTime[i];
        this.heapSlot[kept] = slot;
        kept++;
      }
    }
    this.size = kept;
    this.cancelledInHeap = 0;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i, this.heapTime[i], this.heapSlot[i]);
    return cancelled;
  }

  /** Puts the entry (`t`, `slot`) at heap position `start` or below it, moving smaller children up. */
  private siftDown(start: number, t: number, slot: number): void {
    const heapTime = this.heapTime;
    const heapSlot = this.heapSlot;
    const slotSeq = this.slotSeq;
    const size = this.size;
    const s = slotSeq[slot];
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      let ct = heapTime[child];
      const right = child + 1;
      if (right < size) {
        const rt = heapTime[right];
        if (rt < ct || (rt === ct && slotSeq[heapSlot[right]] < slotSeq[heapSlot[child]])) {
          child = right;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && s < slotSeq[heapSlot[child]])) break;
      heapTime[i] = ct;
      heapSlot[i] = heapSlot[child];
      i = child;
    }
    heapTime[i] = t;
    heapSlot[i] = slot;
  }

  private newSlot(): number {
    if (this.slotsUsed === this.slotGeneration.length) this.growSlots();
    return this.slotsUsed++;
  }

  private releaseSlot(slot: number): void {
    this.slotFn[slot] = undefined;
    this.slotArg[slot] = undefined;
    this.slotGeneration[slot] = nextGeneration(this.slotGeneration[slot]);
    this.freeSlots[this.freeCount++] = slot;
  }

  private growHeap(): void {
    const capacity = this.heapTime.length * 2;
    this.heapTime = grow(this.heapTime, new Float64Array(capacity));
    this.heapSlot = grow(this.heapSlot, new Int32Array(capacity));
  }

  private growSlots(): void {
    const capacity = this.slotGeneration.length * 2;
    if (capacity > SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN} events pending at once`);
    this.slotSeq = grow(this.slotSeq, new Float64Array(capacity));
    this.slotGeneration = grow(this.slotGeneration, new Int32Array(capacity));
    this.slotTag = grow(this.slotTag, new Int32Array(capacity));
    this.freeSlots = grow(this.freeSlots, new Int32Array(capacity));
    for (let i = this.slotFn.length; i < capacity; i++) {
      this.slotFn.push(undefined);
      this.slotArg.push(undefined);
    }
  }
}

function nextGeneration(generation: number): number {
  const next = generation + 1;
  return next === GENERATION_LIMIT ? 0 : next;
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
