import type { MetricsRegistry, MetricsSnapshot } from '../sim/metrics.js';
import type { Time } from '../sim/time.js';
import { compareStrings } from '../sim/order.js';

/** How the metrics moved between one fault and the next (or the end of the run). */
export interface FaultWindow {
  /** Simulated milliseconds. */
  readonly at: number;
  readonly until: number;
  /** "crash broker-1"; "start" for the window before the first fault. */
  readonly fault: string;
  /** The fault as the summary names it, by its place in the file: "faults[2] crash broker-2 (leader(orders-0))". */
  readonly label: string;
  /** Counting attributes (a meter's or timer's Count, a client's *-total) that grew: "mbean attribute" -> growth, summed over nodes. */
  readonly deltas: Readonly<Record<string, number>>;
  /** Gauges (summed over nodes) that moved within the window: value at its start, highest sample, value at its end. */
  readonly gauges: Readonly<Record<string, { readonly before: number; readonly peak: number; readonly after: number }>>;
}

export interface MetricsReport {
  /** Every metric at the end of the run, by MBean, node and attribute. */
  readonly final: MetricsSnapshot;
  readonly aroundFaults: readonly FaultWindow[];
}

/** Attributes that count events; they are reported as growth. Gauge values as levels. */
function isCounting(attribute: string): boolean {
  return attribute === 'Count' || attribute.endsWith('-total');
}

/** Sums each attribute over nodes: "mbean attribute" -> value. */
function flatten(snapshot: MetricsSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [mbean, byNode] of Object.entries(snapshot)) {
    for (const values of Object.values(byNode)) {
      for (const [attribute, v] of Object.entries(values)) {
        const key = `${mbean} ${attribute}`;
        out.set(key, (out.get(key) ?? 0) + v);
      }
    }
  }
  return out;
}

/**
 * Samples the registry in simulated time and cuts the run into windows at each fault, so
 * a report can say what a fault did: "crash broker-1: IsrShrinksPerSec +2,
 * UnderReplicatedPartitions 0 -> 3".
 */
export class MetricsRecorder {
  private readonly windows: FaultWindow[] = [];
  private pending?: { at: Time; values: Map<string, number> };
  private open: { at: Time; fault: string; label: string; start: Map<string, number>; peaks: Map<string, number> };

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly isUp: (node: string) => boolean,
    start: Time,
  ) {
    const now = flatten(registry.snapshot(isUp));
    this.open = { at: start, fault: 'start', label: 'start', start: now, peaks: new Map(now) };
  }

  /**
   * A periodic sample: gauges' peaks within the open window. Only the levels are read (the
   * peaks of a timer's Mean and Max are never reported, see close), not a whole snapshot.
   */
  sample(): void {
    for (const [key, v] of this.registry.levelSums(this.isUp, isCounting)) this.open.peaks.set(key, Math.max(this.open.peaks.get(key) ?? v, v));
  }

  /** A fault is about to be applied: remembers the world as it was. */
  beforeFault(at: Time): void {
    this.sample();
    this.pending = { at, values: flatten(this.registry.snapshot(this.isUp)) };
  }

  /** A fault was applied at `at`: closes the open window and opens the fault's, both at the values from just before it. */
  onFault(at: Time, fault: string, label = fault): void {
    const before = this.pending?.at === at ? this.pending.values : undefined;
    this.pending = undefined;
    const now = this.close(at, before);
    this.open = { at, fault, label, start: now, peaks: new Map(now) };
  }

  finish(at: Time): MetricsReport {
    this.close(at);
    return { final: this.registry.snapshot(this.isUp), aroundFaults: this.windows };
  }

  private close(at: Time, values?: Map<string, number>): Map<string, number> {
    if (values === undefined) this.sample();
    const now = values ?? flatten(this.registry.snapshot(this.isUp));
    const deltas: Record<string, number> = {};
    const gauges: Record<string, { before: number; peak: number; after: number }> = {};
    const keys = new Set([...this.open.start.keys(), ...now.keys()]);
    for (const key of [...keys].sort(compareStrings)) {
      const before = this.open.start.get(key) ?? 0;
      const after = now.get(key) ?? 0;
      if (isCounting(key.slice(key.lastIndexOf(' ') + 1))) {
        if (after !== before) deltas[key] = after - before;
      } else if (!key.endsWith(' Mean') && !key.endsWith(' Max')) {
        const peak = Math.max(this.open.peaks.get(key) ?? after, before, after);
        if (peak !== before || after !== before) gauges[key] = { before, peak, after };
      }
    }
    this.windows.push({ at: this.open.at / 1000, until: at / 1000, fault: this.open.fault, label: this.open.label, deltas, gauges });
    return now;
  }
}
