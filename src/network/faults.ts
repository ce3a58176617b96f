import type { Rng } from '../sim/rng.js';
import type { Scheduler, TimerHandle } from '../sim/scheduler.js';
import type { Duration, Time } from '../sim/time.js';
import { declareTraceKind, type Trace } from '../sim/trace.js';
import { parseTarget, type TargetResolver } from './faultTarget.js';
import type { LatencyDist } from './latency.js';
import type { Network } from './network.js';
import type { CrashMode, Message, NodeId } from './nodeHost.js';
import type { Cut, PartitionSpec } from './partitions.js';

/**
 * One fault, with symbolic targets (see faultTarget.ts). Partitions and degradations take
 * a name so that a later heal can lift exactly that one; unnamed ones are called
 * `fault-<index>`.
 */
export type FaultAction =
  | { readonly action: 'crash'; readonly target: string; readonly mode?: CrashMode }
  | { readonly action: 'restart'; readonly target: string }
  /** A graceful stop (SIGTERM): a broker's controlled shutdown, then a clean exit. */
  | { readonly action: 'shutdown'; readonly target: string }
  | { readonly action: 'pause'; readonly target: string; readonly for: Duration }
  | {
      readonly action: 'partition';
      readonly name?: string;
      readonly groups?: readonly (readonly string[])[];
      readonly isolate?: string;
      readonly oneWay?: { readonly from: string; readonly to: string };
    }
  | { readonly action: 'heal'; readonly name?: string }
  | {
      readonly action: 'degrade';
      readonly name?: string;
      /** Degrade every link to and from this target… */
      readonly target?: string;
      /** …or the links between these two, both directions… */
      readonly between?: readonly [string, string];
      /** …or the links from one to the other only (a slow path one way, as asymmetric routes are). */
      readonly oneWay?: { readonly from: string; readonly to: string };
      readonly latency?: LatencyDist;
      readonly loss?: number;
    }
  | { readonly action: 'clock'; readonly target: string; readonly jump?: Duration; readonly driftPpm?: number }
  | {
      readonly action: 'disk';
      readonly target: string;
      /** What goes wrong, as the log layer's disks name it ("bitflip", "torn-write" …). */
      readonly fault: string;
      /** Which file, when the fault is aimed; otherwise the disk picks one. */
      readonly file?: string;
      readonly count?: number;
    };

export type FaultKind = FaultAction['action'];

export interface TimedFault {
  /** When it fires; with `when`, when it starts watching for its event. */
  readonly at: Time;
  readonly fault: FaultAction;
  readonly when?: FaultTrigger;
}

/**
 * A fault that waits for something to happen rather than for a time: it fires just after
 * (or `delay` after) the first trace record of kind `event` (from `at` on) whose fields equal
 * `where` (a field that is a list matches when it holds the value). "Crash the coordinator right after it
 * writes PrepareCommit" then stays aimed whatever the run's timing.
 */
export interface FaultTrigger {
  readonly event: string;
  readonly where: Readonly<Record<string, string | number | boolean>>;
  /** How long after the event it fires (0: right after it). */
  readonly delay?: Duration;
}

/** Whether a trace record's fields satisfy a trigger's `where`. */
export function matchesTrigger(record: Readonly<Record<string, unknown>>, where: FaultTrigger['where']): boolean {
  for (const key in where) {
    const value = record[key];
    const wanted = where[key];
    if (Array.isArray(value) ? !value.includes(wanted) : value !== wanted) return false;
  }
  return true;
}

/** Faults the network cannot carry out itself, supplied by the layers that own the thing. */
export interface FaultHooks {
  /** Disk faults, handled by the log layer's disks. Returns false when unsupported. */
  disk?(node: NodeId, fault: Extract<FaultAction, { action: 'disk' }>): boolean;
  /** Runs just before a fault is applied (or skipped), while the world is still as it was. */
  beforeFault?(index: number, fault: FaultAction): void;
}

/**
 * Fires a fault schedule against a network. Each fault resolves its targets when it fires;
 * a target that resolves to nothing (a leader while the partition is offline) or an action
 * that does not apply (restarting a node that is up) is traced as skipped, not an error.
 */
export class FaultInjector<M extends Message = Message> {
  private readonly handles: TimerHandle[] = [];
  /** Triggered faults watching for their event, by index; gone once fired or cancelled. */
  private readonly armed = new Set<number>();
  private fired = 0;
  private skipped = 0;
  /** Faults scheduled so far: the next one's index in the schedule. */
  private scheduled = 0;

  constructor(
    private readonly network: Network<M>,
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
    private readonly rng: Rng,
    private readonly resolver: TargetResolver,
    private readonly hooks: FaultHooks = {},
  ) {}

  schedule(faults: readonly TimedFault[]): void {
    const first = this.scheduled;
    this.scheduled += faults.length;
    faults.forEach((timed, i) => {
      // A fault's index is its place in the schedule (the scenario's faults first, then the
      // nemesis's): `faults[2]` is traced as index 2, and an unnamed partition is `fault-2`.
      const index = first + i;
      const when = timed.when;
      this.handles.push(this.scheduler.at(timed.at, when === undefined ? () => this.apply(index, timed.fault) : () => this.arm(index, timed.fault, when)));
    });
  }

  /** From now on, the first record matching `when` fires the fault, right after the event that emitted it. */
  private arm(index: number, fault: FaultAction, when: FaultTrigger): void {
    this.armed.add(index);
    this.trace.observe(when.event as never, (record: Readonly<Record<string, unknown>>) => {
      if (!this.armed.has(index) || !matchesTrigger(record, when.where)) return;
      this.armed.delete(index);
      this.handles.push(
        this.scheduler.after(when.delay ?? (0 as Duration), () => {
          this.apply(index, fault);
        }),
      );
    });
  }

  /** Cancels every fault that has not fired yet (the drain phase of a run). */
  cancelPending(): number {
    let n = this.armed.size;
    this.armed.clear();
    for (const h of this.handles) if (this.scheduler.cancel(h)) n++;
    return n;
  }

  get stats(): { readonly fired: number; readonly skipped: number } {
    return { fired: this.fired, skipped: this.skipped };
  }

  /** Applies one fault now, the `index`-th of the schedule. Exposed for tests and for the drain phase. */
  apply(index: number, fault: FaultAction): void {
    this.hooks.beforeFault?.(index, fault);
    const skip = (reason: string, nodes: readonly NodeId[] = []): void => {
      this.skipped++;
      this.trace.emit('fault.skip', { index, action: fault.action, reason, nodes });
    };
    const done = (targets: readonly NodeId[]): void => {
      this.fired++;
      this.trace.emit('fault.apply', { index, action: fault.action, targets });
    };
    const name = ('name' in fault ? fault.name : undefined) ?? `fault-${index}`;
    switch (fault.action) {
      case 'crash':
      case 'restart':
      case 'shutdown':
      case 'pause':
      case 'clock':
      case 'disk': {
        const targets = this.resolve(fault.target);
        if (targets.length === 0) return skip(`target ${fault.target} resolved to no node`);
        const applied = targets.filter((id) => this.applyToNode(id, fault));
        return applied.length === 0 ? skip(`${fault.action} does not apply to ${targets.join(', ')} now`, targets) : done(applied);
      }
      case 'partition': {
        const spec = this.partitionSpec(fault);
        if (spec === undefined) return skip('partition resolved to no cut');
        if (this.network.activeFaults().includes(name)) return skip(`a fault named ${name} is already active`);
        const cuts = this.network.partition(name, spec);
        return cuts.length === 0 ? skip('partition cuts no link') : done(uniqueNodes(cuts));
      }
      case 'heal': {
        const healed = this.network.heal(fault.name);
        return healed.length === 0 && fault.name !== undefined ? skip(`no active fault named ${fault.name}`) : done(healed);
      }
      case 'degrade': {
        const links = this.degradedLinks(fault);
        if (links.length === 0) return skip('degrade resolved to no link');
        if (this.network.activeFaults().includes(name)) return skip(`a fault named ${name} is already active`);
        this.network.degrade(name, links, { extraLatency: fault.latency, loss: fault.loss });
        return done(uniqueNodes(links));
      }
    }
  }

  private applyToNode(id: NodeId, fault: Extract<FaultAction, { target: string }>): boolean {
    const host = this.network.host(id);
    switch (fault.action) {
      case 'crash':
        return host.crash(fault.mode ?? 'process');
      case 'restart':
        return host.restart();
      case 'shutdown':
        return host.shutdown();
      case 'pause':
        return host.pause(fault.for);
      case 'clock':
        if (fault.jump !== undefined) host.clock.jump(fault.jump);
        if (fault.driftPpm !== undefined) host.clock.setDrift(this.scheduler.now, fault.driftPpm);
        this.trace.emit('clock.change', { node: id, jump: fault.jump ?? 0, driftPpm: host.clock.driftPpm });
        return true;
      case 'disk':
        return this.hooks.disk?.(id, fault) ?? false;
      default:
        return false;
    }
  }

  private resolve(target: string): readonly NodeId[] {
    return this.resolver.resolve(parseTarget(target), this.rng);
  }

  private resolveAll(targets: readonly string[]): NodeId[] {
    const out: NodeId[] = [];
    for (const t of targets) for (const id of this.resolve(t)) if (!out.includes(id)) out.push(id);
    return out;
  }

  private partitionSpec(fault: Extract<FaultAction, { action: 'partition' }>): PartitionSpec | undefined {
    if (fault.groups !== undefined) {
      const groups = fault.groups.map((g) => this.resolveAll(g)).filter((g) => g.length > 0);
      return groups.length < 2 ? undefined : { kind: 'groups', groups };
    }
    if (fault.isolate !== undefined) {
      const nodes = this.resolve(fault.isolate);
      return nodes.length === 0 ? undefined : { kind: 'isolate', nodes };
    }
    if (fault.oneWay !== undefined) {
      const from = this.resolve(fault.oneWay.from);
      const to = this.resolve(fault.oneWay.to);
      return from.length === 0 || to.length === 0 ? undefined : { kind: 'oneWay', from, to };
    }
    return undefined;
  }

  private degradedLinks(fault: Extract<FaultAction, { action: 'degrade' }>): Cut[] {
    const all = this.network.nodeIds();
    const links: Cut[] = [];
    if (fault.target !== undefined) {
      for (const a of this.resolve(fault.target)) {
        for (const b of all) if (a !== b) links.push({ from: a, to: b }, { from: b, to: a });
      }
    } else if (fault.between !== undefined) {
      const left = this.resolve(fault.between[0]);
      const right = this.resolve(fault.between[1]);
      for (const a of left) for (const b of right) if (a !== b) links.push({ from: a, to: b }, { from: b, to: a });
    } else if (fault.oneWay !== undefined) {
      const to = this.resolve(fault.oneWay.to);
      for (const a of this.resolve(fault.oneWay.from)) for (const b of to) if (a !== b) links.push({ from: a, to: b });
    }
    return links;
  }
}

function uniqueNodes(cuts: readonly Cut[]): NodeId[] {
  const out: NodeId[] = [];
  for (const c of cuts) {
    if (!out.includes(c.from)) out.push(c.from);
    if (!out.includes(c.to)) out.push(c.to);
  }
  return out;
}

declare module '../sim/trace.js' {
  interface TraceRecordMap {
    'fault.apply': { readonly index: number; readonly action: FaultKind; readonly targets: readonly string[] };
    /** `index`: the fault's place in the schedule; `nodes`: what its target resolved to, when an action did not apply to them. */
    'fault.skip': { readonly index: number; readonly action: FaultKind; readonly reason: string; readonly nodes: readonly NodeId[] };
    'clock.change': { readonly node: NodeId; readonly jump: number; readonly driftPpm: number };
  }
}

declareTraceKind('fault.apply', ['index', 'action', 'targets']);
// nodes follow from the index and the records before: not hashed.
declareTraceKind('fault.skip', ['index', 'action', 'reason'], ['nodes']);
declareTraceKind('clock.change', ['node', 'jump', 'driftPpm']);
