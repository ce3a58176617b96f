import type { NodeId } from './nodeHost.js';

/** A directed pair: messages from `from` cannot reach `to`. */
export interface Cut {
  readonly from: NodeId;
  readonly to: NodeId;
}

/**
 * How a partition is described:
 * - groups: nodes in different groups cannot talk; groups may overlap, and a node in two
 *   groups is a bridge that hears both halves. Nodes in no group are not affected.
 * - isolate: the named nodes can talk to no one else, in either direction.
 * - oneWay: messages from `from` do not reach `to`; the reverse direction still works.
 */
export type PartitionSpec =
  | { readonly kind: 'groups'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly kind: 'isolate'; readonly nodes: readonly NodeId[] }
  | { readonly kind: 'oneWay'; readonly from: readonly NodeId[]; readonly to: readonly NodeId[] };

/** The directed pairs a partition cuts, among `allNodes`, in a deterministic order. */
export function cutsOf(spec: PartitionSpec, allNodes: readonly NodeId[]): Cut[] {
  const cuts: Cut[] = [];
  switch (spec.kind) {
    case 'groups': {
      const listed = allNodes.filter((n) => spec.groups.some((g) => g.includes(n)));
      for (const a of listed) {
        for (const b of listed) {
          if (a !== b && !spec.groups.some((g) => g.includes(a) && g.includes(b))) cuts.push({ from: a, to: b });
        }
      }
      break;
    }
    case 'isolate':
      for (const a of spec.nodes) {
        for (const b of allNodes) {
          if (spec.nodes.includes(b)) continue;
          cuts.push({ from: a, to: b }, { from: b, to: a });
        }
      }
      break;
    case 'oneWay':
      for (const a of spec.from) for (const b of spec.to) if (a !== b) cuts.push({ from: a, to: b });
      break;
  }
  return cuts;
}

/**
 * The nodes a partition cuts off, for a drawing to shade: the named nodes of an isolation;
 * otherwise every side but the largest (each side when all are the same size), so that one
 * broker split from the rest is the one shaded, not everyone it can no longer reach. A node
 * in two groups (a bridge) is cut off from neither.
 */
export function cutOffSide(spec: PartitionSpec, allNodes: readonly NodeId[]): NodeId[] {
  if (spec.kind === 'isolate') return [...spec.nodes];
  const sides = spec.kind === 'groups' ? spec.groups : [spec.from, spec.to.filter((n) => !spec.from.includes(n))];
  const largest = Math.max(...sides.map((g) => g.length));
  const smaller = sides.filter((g) => g.length < largest);
  const shaded = new Set((smaller.length === 0 ? sides : smaller).flat());
  const bridges = new Set(allNodes.filter((n) => sides.filter((g) => g.includes(n)).length > 1));
  return allNodes.filter((n) => shaded.has(n) && !bridges.has(n));
}

/**
 * The partitions in force. Each is a named fault holding its cuts; a directed pair is
 * blocked while any active fault cuts it, so healing one fault never heals another's cuts.
 * Lookups are one read of a count matrix indexed by node number, since every send asks.
 */
export class PartitionTable {
  private readonly index = new Map<NodeId, number>();
  private counts = new Uint16Array(0);
  private width = 0;
  private readonly active = new Map<string, readonly Cut[]>();

  /** Registers a node; nodes must be known before a partition can name them. */
  addNode(id: NodeId): void {
    if (this.index.has(id)) return;
    const old = this.counts;
    const oldWidth = this.width;
    this.index.set(id, oldWidth);
    this.width = oldWidth + 1;
    this.counts = new Uint16Array(this.width * this.width);
    for (let r = 0; r < oldWidth; r++) this.counts.set(old.subarray(r * oldWidth, (r + 1) * oldWidth), r * this.width);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    if (this.active.size === 0) return false;
    const a = this.index.get(from);
    const b = this.index.get(to);
    if (a === undefined || b === undefined) return false;
    return this.counts[a * this.width + b] > 0;
  }

  /** Applies a named fault. Returns its cuts. */
  apply(name: string, cuts: readonly Cut[]): readonly Cut[] {
    if (this.active.has(name)) throw new Error(`a fault named ${name} is already active`);
    for (const cut of cuts) this.counts[this.slot(cut)]++;
    this.active.set(name, cuts);
    return cuts;
  }

  /** Heals one named fault, or all of them. Returns the names healed. */
  heal(name?: string): string[] {
    const names = name === undefined ? [...this.active.keys()] : this.active.has(name) ? [name] : [];
    for (const n of names) {
      for (const cut of this.active.get(n) ?? []) this.counts[this.slot(cut)]--;
      this.active.delete(n);
    }
    return names;
  }

  activeFaults(): readonly string[] {
    return [...this.active.keys()];
  }

  private slot(cut: Cut): number {
    const a = this.index.get(cut.from);
    const b = this.index.get(cut.to);
    if (a === undefined || b === undefined) throw new Error(`unknown node in cut ${cut.from}→${cut.to}`);
    return a * this.width + b;
  }
}
