import { Fingerprint, stringHash } from './fingerprint.js';
import { compareStrings } from './order.js';
import type { Time } from './time.js';

/**
 * The fields of each kind of trace record, by kind. The kernel declares its own kinds here;
 * each layer above adds the kinds it emits by augmenting this interface from its own module
 * (`declare module '../sim/trace.js' { interface TraceRecordMap { ... } }`), so the union
 * of all record types is assembled from the modules that really emit them.
 */
export interface TraceRecordMap {
  /** Free text, for tests and the demo. */
  note: { readonly node?: string; readonly text: string };
  /** A send's invocation or completion, mirrored from the history's send columns (see history.ts). */
  'client.send': {
    readonly process: string;
    readonly type: 'invoke' | 'ok' | 'fail' | 'info';
    readonly index: number;
    /** The message id is `<process>#<seq>`. */
    readonly seq: number;
    readonly partition: string | undefined;
    readonly offset: number | undefined;
    readonly error: string | undefined;
  };
  /** Any other client operation, mirrored from the history (see history.ts). */
  'client.op': {
    readonly process: string;
    readonly type: 'invoke' | 'ok' | 'fail' | 'info';
    readonly f: string;
    readonly index: number;
    readonly value?: unknown;
    readonly error?: string;
  };
}

export type TraceKind = keyof TraceRecordMap;

/** One trace record: its kind, the simulated instant it happened at, and its fields. */
export type TraceRecord<K extends TraceKind = TraceKind> = K extends TraceKind
  ? { readonly kind: K; readonly at: Time } & TraceRecordMap[K]
  : never;

/** Where full records go when they are kept. The fingerprint is computed either way. */
export interface TraceSink {
  write(record: TraceRecord): void;
  close?(): void;
}

/** Keeps every record in memory, for tests and `explain`. */
export class MemorySink implements TraceSink {
  readonly records: TraceRecord[] = [];
  write(record: TraceRecord): void {
    this.records.push(record);
  }
}

interface Declaration {
  readonly hashed: readonly string[];
  readonly derived: readonly string[];
}

/** Field lists declared by the modules that emit each kind; see {@link declareTraceKind}. */
const declarations = new Map<string, Declaration>();

/**
 * Declares the fields of a kind of record, once, next to the code that emits it. The hot
 * path then hashes exactly these fields, in sorted order, without enumerating the record's
 * keys. Whenever records are kept (tests keep them in memory), every record is checked
 * against its declaration, so a field that was added to a record type but not declared
 * fails the tests instead of silently escaping the fingerprint.
 */
export function declareTraceKind<K extends TraceKind>(
  kind: K,
  fields: readonly (keyof TraceRecordMap[K] & string)[],
  /**
   * Fields that are a function of the hashed fields and the records before, kept for
   * readers but not hashed: a delivery's sender and type follow from its message id, which
   * its send record already hashed. Leaving them out loses no divergence the fingerprint
   * would otherwise catch.
   */
  derived: readonly (keyof TraceRecordMap[K] & string)[] = [],
): void {
  declarations.set(kind, { hashed: [...fields].sort(compareStrings), derived });
}

/** The fields declared for records of `kind` (hashed and derived), or undefined for a kind nobody declared. */
export function declaredTraceFields(kind: string): readonly string[] | undefined {
  const d = declarations.get(kind);
  return d === undefined ? undefined : [...d.hashed, ...d.derived];
}

/** Every declared kind of trace record, sorted. */
export function declaredTraceKinds(): string[] {
  return [...declarations.keys()].sort(compareStrings);
}

/**
 * What the trace knows of one kind: its field names, sorted, and how often it was emitted.
 * A record is encoded as its kind, its instant, then the value of each field in this order
 * (absent ones as null), so the encoding is canonical whatever order a record's keys were
 * written in. Undeclared kinds learn their fields from the records they see.
 */
class KindState {
  count = 0;
  names: ReadonlySet<string>;
  /** The kind's name, hashed once to one word. */
  readonly kindWord: number;
  /** Mixes this kind's hashed fields, in order; compiled so each field is a monomorphic load. */
  hashFields: FieldHasher;
  /** Callbacks that see every record of this kind, as it is emitted, in the order they subscribed. */
  observers: Observer[] | undefined;

  constructor(
    readonly kind: string,
    public keys: readonly string[],
    readonly declared: boolean,
    derived: readonly string[] = [],
  ) {
    this.names = new Set([...keys, ...derived]);
    this.hashFields = compileFieldHasher(keys);
    const h = stringHash(kind);
    this.kindWord = (h % 0x100000000) ^ Math.floor(h / 0x100000000);
  }

  /** True when every key of `fields` is known. */
  covers(fields: Readonly<Record<string, unknown>>): boolean {
    for (const key in fields) if (!this.names.has(key)) return false;
    return true;
  }

  widen(fields: Readonly<Record<string, unknown>>): void {
    if (this.declared) {
      const extra = Object.keys(fields).filter((k) => !this.names.has(k));
      throw new Error(`trace record ${this.kind} has undeclared field(s) ${extra.join(', ')}: add them to its declareTraceKind`);
    }
    const keys = new Set(this.keys);
    for (const key of Object.keys(fields)) keys.add(key);
    this.keys = [...keys].sort(compareStrings);
    this.names = new Set(this.keys);
    this.hashFields = compileFieldHasher(this.keys);
  }
}

type FieldHasher = (fp: Fingerprint, values: Readonly<Record<string, unknown>>) => void;

/** A subscriber: handed a record (built once per event for all of them), or the emitted fields and the instant, with no record built. */
type Observer = { readonly fields: false; readonly fn: (record: TraceRecord) => void } | { readonly fields: true; readonly fn: (fields: object, at: Time) => void };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Builds the function that mixes a record's fields. Reading `values[key]` with a variable
 * key from records of many shapes is a megamorphic keyed load on every field of every
 * event; a function generated per kind reads `values.from`, `values.to` … with property
 * names fixed in its code, which the JIT turns into plain loads. Only identifier-safe names
 * are compiled; any other name falls back to the generic loop.
 */
function compileFieldHasher(keys: readonly string[]): FieldHasher {
  // One function per field list for the whole process, not per run: a function made anew
  // is a new piece of code that the JIT starts over with (interpreted, then optimised), and
  // a sweep makes dozens per seed. Reusing them, the second run is as fast as the tenth.
  const id = keys.join('\u0000');
  let hasher = compiledHashers.get(id);
  if (hasher === undefined) {
    hasher = buildFieldHasher(keys);
    compiledHashers.set(id, hasher);
  }
  return hasher;
}

const compiledHashers = new Map<string, FieldHasher>();

function buildFieldHasher(keys: readonly string[]): FieldHasher {
  if (!keys.every((k) => IDENTIFIER.test(k))) {
    return (fp, values) => {
      for (const key of keys) fp.value(values[key]);
    };
  }
  const body = keys
    .map((k) => `x = v.${k}; if (typeof x === 'string') fp.string(x); else if (typeof x === 'number') fp.number(x); else fp.value(x);`)
    .join('\n');
  return new Function('fp', 'v', `let x;\n${body}`) as FieldHasher;
}

/**
 * The run's trace. Every meaningful event is emitted here as one typed record. Each record
 * is folded into a streaming fingerprint over a canonical encoding (see KindState) and
 * handed to the sinks, if any. With no sinks nothing is kept and no record object is built:
 * that is the fast mode used by sweeps.
 */
export class Trace {
  private readonly fp = new Fingerprint();
  private readonly sinks: TraceSink[];
  private readonly kinds = new Map<string, KindState>();
  private total = 0;

  constructor(
    private readonly clock: () => Time,
    sinks: readonly TraceSink[] = [],
  ) {
    this.sinks = [...sinks];
  }

  /** True when records are kept somewhere, so callers may skip building costly fields. */
  get keepsRecords(): boolean {
    return this.sinks.length > 0;
  }

  addSink(sink: TraceSink): void {
    this.sinks.push(sink);
  }

  emit<K extends TraceKind>(kind: K, fields: TraceRecordMap[K]): void {
    this.emitAs(this.kinds.get(kind) ?? this.learnKind(kind), fields);
  }

  /**
   * A handle that emits records of one kind without looking the kind up each time, for
   * code that emits on every message.
   */
  emitter<K extends TraceKind>(kind: K): (fields: TraceRecordMap[K]) => void {
    const state = this.kinds.get(kind) ?? this.learnKind(kind);
    return (fields) => this.emitAs(state, fields);
  }

  /** Never keeps `fields` itself (observers and sinks get copies), so callers may reuse it. */
  private emitAs(state: KindState, fields: object): void {
    const at = this.clock();
    const fp = this.fp;
    const values = fields as Readonly<Record<string, unknown>>;
    const keeping = this.sinks.length > 0;
    if ((keeping || !state.declared) && !state.covers(values)) state.widen(values);
    fp.word(state.kindWord);
    fp.number(at);
    state.hashFields(fp, values);
    if (state.observers !== undefined) {
      let record: TraceRecord | undefined;
      for (const o of state.observers) {
        if (o.fields) o.fn(fields, at);
        else o.fn((record ??= { kind: state.kind, at, ...fields } as unknown as TraceRecord));
      }
    }
    state.count++;
    this.total++;
    if (keeping) {
      const record = { kind: state.kind, at, ...fields } as unknown as TraceRecord;
      for (const sink of this.sinks) sink.write(record);
    }
  }

  /**
   * Calls `observe` with every record of `kind` from now on, whether or not records are
   * kept. This is how the run's ghost observer watches replication without slowing the
   * other kinds of records down.
   */
  observe<K extends TraceKind>(kind: K, observe: (record: TraceRecord<K>) => void): void {
    const state = this.kinds.get(kind) ?? this.learnKind(kind);
    (state.observers ??= []).push({ fields: false, fn: observe as (record: TraceRecord) => void });
  }

  /**
   * As observe, but `observe` is handed the emitted fields and the instant, and no record is
   * built for it: for observers of the records emitted on every append. It must not keep
   * `fields`, which the emitter may reuse.
   */
  observeFields<K extends TraceKind>(kind: K, observe: (fields: TraceRecordMap[K], at: Time) => void): void {
    const state = this.kinds.get(kind) ?? this.learnKind(kind);
    (state.observers ??= []).push({ fields: true, fn: observe as (fields: object, at: Time) => void });
  }

  private learnKind(kind: string): KindState {
    const declared = declarations.get(kind);
    const state = new KindState(kind, declared?.hashed ?? [], declared !== undefined, declared?.derived);
    this.kinds.set(kind, state);
    return state;
  }

  /** The fingerprint of every record emitted so far: 16 hex digits. */
  get fingerprint(): string {
    return this.fp.digest();
  }

  /** Records emitted so far. */
  get size(): number {
    return this.total;
  }

  /** Records emitted so far, by kind, in the order kinds first appeared. */
  countsByKind(): ReadonlyMap<string, number> {
    return new Map([...this.kinds.values()].map((k) => [k.kind, k.count]));
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}

declareTraceKind('note', ['node', 'text']);
declareTraceKind('client.op', ['process', 'type', 'f', 'index', 'value', 'error']);
