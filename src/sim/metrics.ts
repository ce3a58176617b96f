import { compareStrings } from './order.js';

/**
 * Metrics as Kafka exposes them over JMX: each metric is an MBean name
 * ("kafka.server:type=ReplicaManager,name=IsrShrinksPerSec") with attributes. Brokers and
 * the controller use Yammer metrics, whose meters have a Count, timers a Count, Mean and
 * Max (ms), and gauges a Value; the Java clients' metrics are attributes of a
 * per-client MBean ("kafka.producer:type=producer-metrics,client-id=p1", attribute
 * "record-retry-total").
 *
 * The registry lives outside the nodes, as a JMX exporter would: meters and timers keep
 * counting across a node's restarts, and gauges are read only from nodes that are up.
 */
export type MBeanName = string;

/** Attribute values of one MBean on one node. */
export type MBeanValues = Readonly<Record<string, number>>;

/** MBean -> node -> attributes; every level sorted by name. */
export type MetricsSnapshot = Readonly<Record<MBeanName, Readonly<Record<string, MBeanValues>>>>;

/** What one node sees of the registry. */
export interface NodeMetrics {
  /** Marks a meter `n` times (Yammer's Meter.mark). */
  mark(mbean: MBeanName, n?: number): void;
  /** Records one event of a timer that lasted `ms` (Yammer's Timer.update). */
  time(mbean: MBeanName, ms: number): void;
  /** Adds `n` to a client metric attribute, such as "record-error-total". */
  add(mbean: MBeanName, attribute: string, n?: number): void;
  /** Publishes a gauge; the latest incarnation's reader replaces an earlier one. */
  gauge(mbean: MBeanName, read: () => number): void;
}

interface Timer {
  count: number;
  totalMs: number;
  maxMs: number;
}

export class MetricsRegistry {
  private readonly meters = new Map<string, Map<MBeanName, number>>();
  private readonly timers = new Map<string, Map<MBeanName, Timer>>();
  private readonly attributes = new Map<string, Map<MBeanName, Map<string, number>>>();
  private readonly gauges = new Map<string, Map<MBeanName, () => number>>();

  forNode(node: string): NodeMetrics {
    const of = <V>(map: Map<string, Map<MBeanName, V>>): Map<MBeanName, V> => {
      let m = map.get(node);
      if (m === undefined) map.set(node, (m = new Map()));
      return m;
    };
    return {
      mark: (mbean, n = 1) => {
        const m = of(this.meters);
        m.set(mbean, (m.get(mbean) ?? 0) + n);
      },
      time: (mbean, ms) => {
        const m = of(this.timers);
        const t = m.get(mbean) ?? { count: 0, totalMs: 0, maxMs: 0 };
        t.count++;
        t.totalMs += ms;
        t.maxMs = Math.max(t.maxMs, ms);
        m.set(mbean, t);
      },
      add: (mbean, attribute, n = 1) => {
        const m = of(this.attributes);
        const attrs = m.get(mbean) ?? new Map<string, number>();
        attrs.set(attribute, (attrs.get(attribute) ?? 0) + n);
        m.set(mbean, attrs);
      },
      gauge: (mbean, read) => {
        of(this.gauges).set(mbean, read);
      },
    };
  }

  /** Every metric now; gauges only of the nodes `isUp` says are running. */
  snapshot(isUp: (node: string) => boolean): MetricsSnapshot {
    const out = new Map<MBeanName, Map<string, Record<string, number>>>();
    const put = (mbean: MBeanName, node: string, values: Record<string, number>): void => {
      let byNode = out.get(mbean);
      if (byNode === undefined) out.set(mbean, (byNode = new Map()));
      byNode.set(node, { ...byNode.get(node), ...values });
    };
    for (const [node, m] of this.meters) for (const [mbean, count] of m) put(mbean, node, { Count: count });
    for (const [node, m] of this.timers) for (const [mbean, t] of m) put(mbean, node, { Count: t.count, Mean: t.count === 0 ? 0 : t.totalMs / t.count, Max: t.maxMs });
    for (const [node, m] of this.attributes) for (const [mbean, attrs] of m) put(mbean, node, Object.fromEntries(attrs));
    for (const [node, m] of this.gauges) {
      if (!isUp(node)) continue;
      for (const [mbean, read] of m) put(mbean, node, { Value: read() });
    }
    return sorted(out);
  }

  /**
   * The levels only, summed over nodes by "mbean attribute": every gauge's Value (of the nodes
   * `isUp` says are running) and the client attributes `isCounting` does not claim. What a
   * periodic sample looks at, without building and sorting a whole snapshot.
   */
  levelSums(isUp: (node: string) => boolean, isCounting: (attribute: string) => boolean): Map<string, number> {
    const out = new Map<string, number>();
    const add = (key: string, v: number): void => {
      out.set(key, (out.get(key) ?? 0) + v);
    };
    for (const m of this.attributes.values()) for (const [mbean, attrs] of m) for (const [attribute, v] of attrs) if (!isCounting(attribute)) add(`${mbean} ${attribute}`, v);
    for (const [node, m] of this.gauges) {
      if (!isUp(node)) continue;
      for (const [mbean, read] of m) add(`${mbean} Value`, read());
    }
    return out;
  }
}

function sorted(out: Map<MBeanName, Map<string, Record<string, number>>>): MetricsSnapshot {
  const result: Record<MBeanName, Record<string, MBeanValues>> = {};
  for (const mbean of [...out.keys()].sort(compareStrings)) {
    const byNode = out.get(mbean) as Map<string, Record<string, number>>;
    const nodes: Record<string, MBeanValues> = {};
    for (const node of [...byNode.keys()].sort(compareStrings)) {
      const values = byNode.get(node) as Record<string, number>;
      nodes[node] = Object.fromEntries(Object.keys(values).sort(compareStrings).map((k) => [k, values[k]]));
    }
    result[mbean] = nodes;
  }
  return result;
}

/** One attribute summed over nodes (a cluster-wide count or gauge). */
export function total(snapshot: MetricsSnapshot, mbean: MBeanName, attribute: string): number {
  let sum = 0;
  for (const values of Object.values(snapshot[mbean] ?? {})) sum += values[attribute] ?? 0;
  return sum;
}
