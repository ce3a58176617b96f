import { Fingerprint } from './fingerprint.js';
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
  /** A client operation, mirrored from the history (see history.ts). */
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

/**
 * The run's trace. Every meaningful event is emitted here as one typed record. Each record
 * is folded into a streaming fingerprint over a canonical encoding (kind, time, then the
 * fields by sorted key), and handed to the sinks, if any. With no sinks nothing is kept and
 * no record object is built: that is the fast mode used by sweeps.
 */
export class Trace {
  private readonly fp = new Fingerprint();
  private readonly sinks: TraceSink[];
  private readonly counts = new Map<string, number>();
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
    const at = this.clock();
    const fp = this.fp;
    fp.string(kind);
    fp.number(at);
    fp.object(fields as Readonly<Record<string, unknown>>);
    this.total++;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (this.sinks.length > 0) {
      const record = { kind, at, ...fields } as unknown as TraceRecord;
      for (const sink of this.sinks) sink.write(record);
    }
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
    return this.counts;
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}
