import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import { compareStrings } from '../sim/order.js';
import { NO_LEADER, type MetadataRecord } from '../nodes/controller/metadataRecords.js';
import { explainViolation, type TimelineLine } from './explain.js';
import type { RunResult } from './runner.js';
import type { Scenario } from './schema.js';
import { DIAGRAM_LEFT as LEFT, DIAGRAM_STYLE, DIAGRAM_WIDTH as WIDTH, diagramX } from './spaceTimeGeometry.js';
import { describeSkippedFault, withSkippedFaults, type SkippedFault } from './skippedFaults.js';

/**
 * `kafkasim report`: one self-contained HTML page (no network loads, no scripts) that shows
 * a run: a space-time diagram with a lane per node, faults as shaded bands and the
 * replication of the records in question as arrows; each violation's narrated timeline; and
 * the partition's replicas (log end offsets) at the moments that matter. Every string that
 * comes from a scenario file is escaped.
 */
export interface ReportInput {
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  readonly source: string;
  readonly fingerprint: string;
  readonly violations: readonly Violation[];
  readonly records: readonly TraceRecord[];
  readonly simulatedMs: number;
  /** When the scenario's own time ended and the drain began (faults stopped, everything healed and restarted): marked on the time axis. */
  readonly drainStartMs?: number;
  /** The faults that fired but did nothing. */
  readonly skippedFaults?: readonly SkippedFault[];
}

/** What a report of run `r` of `scenario` (named `source` on the command line) shows; the run must have kept its trace. */
export function reportInput(scenario: Scenario, r: RunResult, source: string): ReportInput {
  return {
    scenario: r.scenario,
    description: scenario.description,
    seed: r.seed,
    source,
    fingerprint: r.fingerprint,
    violations: r.violations,
    records: r.simulation.memory?.records ?? [],
    simulatedMs: r.stats.simulatedMs,
    drainStartMs: scenario.duration / 1000,
    skippedFaults: r.skippedFaults,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface Band {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  /** `active`: the controller is the active one (the quorum's leader, caught up): the active controller over time. */
  readonly kind: 'down' | 'paused' | 'cut' | 'active';
}

interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly t1: number;
  readonly t2: number;
  readonly label: string;
}

/** Lanes: the controller, the brokers, the clients, then a lane per consumer group, in that order. */
function lanesOf(records: readonly TraceRecord[]): string[] {
  const nodes = new Set<string>();
  for (const r of records) {
    if (r.kind === 'node.start') nodes.add(r.node);
    else if (r.kind === 'group.generation') nodes.add(`group ${r.group}`);
  }
  const rank = (n: string): number => (n.startsWith('controller') ? 0 : n.startsWith('broker') ? 1 : n.startsWith('group ') ? 3 : 2);
  return [...nodes].sort((a, b) => rank(a) - rank(b) || compareStrings(a, b));
}

/**
 * The lane a narrated moment belongs on: a group member's moment on its member's lane, a
 * group's (a new generation, a commit no member is named in) on the group's lane, never on
 * its coordinator's broker; otherwise the node the sentence names first ("p1 was told …" on
 * producer-p1's lane, "broker-2 truncated …" on broker-2's).
 */
function laneOf(text: string, lanes: readonly string[]): string {
  const mentions = (name: string): number => {
    const m = new RegExp(`(?<![\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).exec(text);
    return m === null ? -1 : m.index;
  };
  const first = (candidates: readonly { lane: string; names: readonly string[] }[]): string | undefined => {
    let best: { lane: string; at: number } | undefined;
    for (const c of candidates) {
      for (const n of c.names) {
        const at = mentions(n);
        if (at >= 0 && (best === undefined || at < best.at)) best = { lane: c.lane, at };
      }
    }
    return best?.lane;
  };
  const alias = (lane: string): string[] => [lane, lane.replace(/^(consumer|producer)-|^group /, '')];
  const members = lanes.filter((l) => l.startsWith('consumer-')).map((lane) => ({ lane, names: alias(lane) }));
  const groups = lanes.filter((l) => l.startsWith('group ')).map((lane) => ({ lane, names: alias(lane) }));
  const others = lanes.filter((l) => !l.startsWith('consumer-') && !l.startsWith('group ')).map((lane) => ({ lane, names: alias(lane) }));
  return first(members) ?? first(groups) ?? first(others) ?? lanes[0];
}

function bandsOf(records: readonly TraceRecord[], end: number): Band[] {
  const bands: Band[] = [];
  const downSince = new Map<string, number>();
  const cuts = new Map<string, { from: number; nodes: readonly string[] }>();
  const activeSince = new Map<string, number>();
  const endActive = (node: string, at: number): void => {
    const from = activeSince.get(node);
    if (from !== undefined) bands.push({ node, from, to: at, kind: 'active' });
    activeSince.delete(node);
  };
  for (const r of records) {
    if (r.kind === 'controller.active') {
      if (r.active && !activeSince.has(r.node)) activeSince.set(r.node, r.at);
      else if (!r.active) endActive(r.node, r.at);
    }
    if (r.kind === 'node.crash' || r.kind === 'node.stop') endActive(r.node, r.at);
    if (r.kind === 'node.crash' || r.kind === 'node.stop') downSince.set(r.node, r.at);
    else if (r.kind === 'node.start' && downSince.has(r.node)) {
      bands.push({ node: r.node, from: downSince.get(r.node) as number, to: r.at, kind: 'down' });
      downSince.delete(r.node);
    } else if (r.kind === 'node.pause') bands.push({ node: r.node, from: r.at, to: Math.min(end, r.until), kind: 'paused' });
    // Only the side the partition cuts off is shaded (an isolated broker, not everyone it can no longer reach).
    else if (r.kind === 'net.partition') cuts.set(r.name, { from: r.at, nodes: r.cutOff });
    else if (r.kind === 'net.heal') {
      for (const name of r.names) {
        const c = cuts.get(name);
        if (c === undefined) continue;
        for (const node of c.nodes) bands.push({ node, from: c.from, to: r.at, kind: 'cut' });
        cuts.delete(name);
      }
    }
  }
  for (const node of [...activeSince.keys()]) endActive(node, end);
  for (const [node, from] of downSince) bands.push({ node, from, to: end, kind: 'down' });
  for (const c of cuts.values()) for (const node of c.nodes) bands.push({ node, from: c.from, to: end, kind: 'cut' });
  return bands;
}

/**
 * Follows one partition through the trace, record by record: each replica's log end, which
 * of the records in question it holds, the leader and ISR the controller gave it, the
 * leader's high watermark, and the replication of the records in question. A replica holds
 * a record in question only while its copy at that offset is the original, the one first
 * appended by a leader: a truncation (KIP-101/KIP-279) drops it, and what a later leader
 * writes at the same offset is another record.
 */
export class PartitionFollower {
  readonly leo = new Map<number, number>();
  readonly brokers = new Set<number>();
  leader: number | undefined;
  isr: readonly number[] = [];
  hw = 0;
  /** Per broker: the offsets in question it holds the original of, and since when. */
  private readonly held = new Map<number, Map<number, number>>();
  private readonly appended = new Set<number>();
  /** Who led in each epoch, and since when (the broker's replica.role record). */
  private readonly leaders = new Map<number, { readonly broker: number; readonly since: number }>();

  constructor(
    private readonly partition: string,
    private readonly offsets: ReadonlySet<number>,
  ) {}

  /** How many of the records in question `broker` holds. */
  holds(broker: number): number {
    return this.held.get(broker)?.size ?? 0;
  }

  /** Takes in one record; returns the replication arrows it completes. */
  see(r: TraceRecord): Arrow[] {
    if (r.kind === 'metadata.record') this.onMetadata(JSON.parse(r.detail) as MetadataRecord);
    if (!('partition' in r) || r.partition !== this.partition) return [];
    switch (r.kind) {
      case 'replica.role':
        if (r.role === 'leader') this.leaders.set(r.leaderEpoch, { broker: r.broker, since: r.at });
        return [];
      case 'replica.append':
        this.brokers.add(r.broker);
        this.leo.set(r.broker, r.lastOffset + 1);
        return this.onAppend(r.broker, r.role, r.leaderEpoch, r.baseOffset, r.lastOffset, r.at);
      case 'replica.truncate':
        this.brokers.add(r.broker);
        this.leo.set(r.broker, r.to);
        this.drop(r.broker, (o) => o >= r.to);
        return [];
      case 'replica.open':
        this.brokers.add(r.broker);
        this.leo.set(r.broker, r.logEndOffset);
        this.drop(r.broker, (o) => o >= r.logEndOffset);
        return [];
      case 'log.retention':
        this.drop(r.broker, (o) => o < r.logStartOffset);
        return [];
      case 'replica.hw':
        this.hw = r.highWatermark;
        return [];
      default:
        return [];
    }
  }

  private onMetadata(m: MetadataRecord): void {
    if ((m.type !== 'Partition' && m.type !== 'PartitionChange') || `${m.topic}-${m.partition}` !== this.partition) return;
    if (m.leader !== undefined) this.leader = m.leader === NO_LEADER ? undefined : m.leader;
    if (m.isr !== undefined) this.isr = m.isr;
  }

  private onAppend(broker: number, role: 'leader' | 'follower', epoch: number, base: number, last: number, at: number): Arrow[] {
    const arrows: Arrow[] = [];
    const mine = this.heldBy(broker);
    // A follower copies from the leader of its epoch: the original only if that leader holds it.
    const source = role === 'follower' ? this.leaders.get(epoch) : undefined;
    for (const o of this.offsets) {
      if (o < base || o > last) continue;
      const original = role === 'leader' ? !this.appended.has(o) : source !== undefined && this.heldBy(source.broker).has(o);
      if (role === 'leader') this.appended.add(o);
      if (!original) {
        mine.delete(o);
        continue;
      }
      mine.set(o, at);
      if (source === undefined) continue;
      // The arrow starts when the source had the record and led: never inside its down band.
      const from = Math.max(this.heldBy(source.broker).get(o) ?? at, source.since);
      arrows.push({ from: `broker-${source.broker}`, to: `broker-${broker}`, t1: from, t2: at, label: `offset ${o} replicated` });
    }
    return arrows;
  }

  private heldBy(broker: number): Map<number, number> {
    let m = this.held.get(broker);
    if (m === undefined) this.held.set(broker, (m = new Map()));
    return m;
  }

  private drop(broker: number, gone: (offset: number) => boolean): void {
    const mine = this.held.get(broker);
    if (mine !== undefined) for (const o of [...mine.keys()]) if (gone(o)) mine.delete(o);
  }
}

/** Replication of the offsets in question: from the leader a follower copied them from, to the follower. */
function arrowsOf(records: readonly TraceRecord[], partition: string | undefined, offsets: ReadonlySet<number>): Arrow[] {
  if (partition === undefined || offsets.size === 0) return [];
  const follower = new PartitionFollower(partition, offsets);
  const arrows: Arrow[] = [];
  for (const r of records) {
    for (const a of follower.see(r)) if (arrows.length < 40) arrows.push(a);
  }
  return arrows;
}

function focusOffsets(v: Violation): Set<number> {
  const out = new Set<number>();
  const d = v.details;
  for (const key of ['ackedOffsets', 'offsets']) {
    const list = d[key];
    if (Array.isArray(list)) for (const o of list.slice(0, 20)) if (typeof o === 'number' && o >= 0) out.add(o);
  }
  return out;
}

const LANE = 34;

function diagram(input: ReportInput, lanes: readonly string[], timelines: readonly TimelineLine[][]): string {
  const end = Math.max(1, input.simulatedMs * 1000);
  const x = (t: number): number => diagramX(t, end);
  const y = (node: string): number => 30 + lanes.indexOf(node) * LANE + LANE / 2;
  const height = 40 + lanes.length * LANE + 20;
  const parts: string[] = [];
  // Time axis, every few seconds.
  const step = end > 60_000_000 ? 10_000_000 : end > 20_000_000 ? 5_000_000 : 1_000_000;
  for (let t = 0; t <= end; t += step) {
    parts.push(`<line x1="${x(t)}" y1="22" x2="${x(t)}" y2="${height - 14}" class="tick"/><text x="${x(t)}" y="16" class="axis">${t / 1_000_000}s</text>`);
  }
  // The drain: after the scenario's own time, faults stop and everything heals and restarts.
  if (input.drainStartMs !== undefined && input.drainStartMs * 1000 < end) {
    const d = input.drainStartMs * 1000;
    parts.push(`<rect x="${x(d)}" y="22" width="${x(end) - x(d)}" height="${height - 36}" class="drain"><title>${escapeHtml(`the drain from ${formatTime(d)}: faults stopped, the network healed, every node restarted`)}</title></rect><line x1="${x(d)}" y1="22" x2="${x(d)}" y2="${height - 14}" class="drain-start"/><text x="${x(d) + 4}" y="${height - 4}" class="drain-label">drain</text>`);
  }
  for (const node of lanes) {
    parts.push(`<text x="8" y="${y(node) + 4}" class="lane">${escapeHtml(node)}</text><line x1="${LEFT}" y1="${y(node)}" x2="${WIDTH - 20}" y2="${y(node)}" class="lane-line"/>`);
  }
  for (const b of bandsOf(input.records, end)) {
    if (!lanes.includes(b.node)) continue;
    const what = b.kind === 'active' ? 'the active controller' : b.kind;
    parts.push(`<rect x="${x(b.from)}" y="${y(b.node) - LANE / 2 + 3}" width="${Math.max(2, x(b.to) - x(b.from))}" height="${LANE - 6}" class="band ${b.kind}"><title>${escapeHtml(`${b.node} ${what} ${formatTime(b.from)}–${formatTime(b.to)}`)}</title></rect>`);
  }
  input.violations.forEach((v, i) => {
    const p = typeof v.details.partition === 'string' ? v.details.partition : undefined;
    for (const a of arrowsOf(input.records, p, focusOffsets(v))) {
      if (!lanes.includes(a.from) || !lanes.includes(a.to)) continue;
      parts.push(`<line x1="${x(a.t1)}" y1="${y(a.from)}" x2="${x(a.t2)}" y2="${y(a.to)}" class="arrow" marker-end="url(#head)"><title>${escapeHtml(a.label)}</title></line>`);
    }
    (timelines[i] ?? []).forEach((line, k) => {
      const lane = laneOf(line.text, lanes);
      parts.push(`<a href="#${momentId(i, k)}"><circle cx="${x(line.at)}" cy="${y(lane)}" r="5" class="event"><title>${escapeHtml(`t=${formatTime(line.at)} ${line.text}`)}</title></circle></a>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" id="diagram" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="space-time diagram">
<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>
<rect x="0" y="0" width="${WIDTH}" height="${height}" class="bg"/>
${parts.join('\n')}
</svg>`;
}

/** The leader, ISR and replicas' log end offsets at each narrated moment of a violation's timeline. */
function replicaTable(records: readonly TraceRecord[], partition: string, moments: readonly TimelineLine[], lost: ReadonlySet<number>): string {
  const p = new PartitionFollower(partition, lost);
  const rows: string[] = [];
  let i = 0;
  const snapshot = (line: TimelineLine): void => {
    const cells = [...p.brokers].sort((a, b) => a - b).map((b) => {
      const holds = p.holds(b);
      return `<td>${p.leo.get(b) ?? 0}${lost.size > 0 ? ` <span class="${holds === lost.size ? 'has' : holds === 0 ? 'none' : 'some'}">(${holds}/${lost.size})</span>` : ''}</td>`;
    });
    rows.push(`<tr><td>${formatTime(line.at)}</td><td>${p.leader === undefined ? 'none' : `broker-${p.leader}`}</td><td>[${p.isr.join(',')}]</td><td>${p.hw}</td>${cells.join('')}<td class="what">${escapeHtml(line.text)}</td></tr>`);
  };
  const ordered = moments.filter((m) => !m.text.startsWith('→'));
  for (const r of records) {
    while (i < ordered.length && ordered[i].at < r.at) snapshot(ordered[i++]);
    p.see(r);
  }
  while (i < ordered.length) snapshot(ordered[i++]);
  const head = [...p.brokers].sort((a, b) => a - b).map((b) => `<th>broker-${b} log end${lost.size > 0 ? ' (records in question held)' : ''}</th>`);
  return `<table class="replicas"><tr><th>t</th><th>leader</th><th>ISR</th><th>leader HW</th>${head.join('')}<th>what happened</th></tr>${rows.join('')}</table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.desc { color: #444; max-width: 70em; } code { background: #f2f2f4; padding: 1px 4px; border-radius: 3px; }
.violation { color: #b3261e; font-weight: 600; }${DIAGRAM_STYLE}.legend span { display: inline-block; padding: 1px 8px; margin-right: 8px; border-radius: 3px; font-size: 12px; }
ol.timeline li { margin: 3px 0; } ol.timeline .t { font-variant-numeric: tabular-nums; color: #666; margin-right: 8px; }
table.replicas { border-collapse: collapse; margin-top: 8px; font-size: 13px; }
table.replicas td, table.replicas th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; vertical-align: top; }
table.replicas td.what { text-align: left; max-width: 40em; }
.has { color: #0a7; } .some { color: #b58100; } .none { color: #b3261e; }
`;

/** The id of moment `k` of violation `i`'s timeline: by place, since two moments may share an instant. */
function momentId(i: number, k: number): string {
  return `v${i + 1}-m${k + 1}`;
}

/** The moments told of each violation, faults that did nothing included, as the report's lists and the diagram's dots show them. */
function timelinesOf(input: ReportInput, stories: readonly TimelineLine[][]): TimelineLine[][] {
  return stories.map((lines) => withSkippedFaults(lines, input.skippedFaults ?? []).filter((l) => !l.text.startsWith('→')));
}

/**
 * The space-time diagram alone (an SVG element, every scenario string escaped): the one
 * renderer of the report's page and of the playground. Its dots link to `#v<i>-m<k>`, moment
 * k of violation i's timeline (1-based), and its time axis is `diagramX` (spaceTimeGeometry.ts).
 */
export function spaceTimeDiagram(input: ReportInput): string {
  const stories = input.violations.map((v) => explainViolation(input.records, v));
  return diagram(input, lanesOf(input.records), timelinesOf(input, stories));
}

/** The report page. */
export function renderReport(input: ReportInput): string {
  const lanes = lanesOf(input.records);
  const stories = input.violations.map((v) => explainViolation(input.records, v));
  const timelines = timelinesOf(input, stories);
  const sections = input.violations.map((v, i) => {
    const lines = stories[i];
    const partition = typeof v.details.partition === 'string' ? v.details.partition : undefined;
    const items = timelines[i].map((l, k) => `<li id="${momentId(i, k)}"><span class="t">t=${escapeHtml(formatTime(l.at))}</span>${escapeHtml(l.text)}</li>`);
    const lost = new Set([...focusOffsets(v)]);
    return `<section id="v${i + 1}"><h2><span class="violation">${escapeHtml(v.kind)}</span>: ${escapeHtml(v.message)}</h2>
<ol class="timeline">${items.join('\n')}</ol>
${partition === undefined ? '' : `<h3>${escapeHtml(partition)}: replicas at each of these moments</h3>${replicaTable(input.records, partition, lines, lost)}`}
</section>`;
  });
  const list = input.violations.length === 0 ? '<p>No violations.</p>' : `<ul>${input.violations.map((v, i) => `<li><a href="#v${i + 1}"><span class="violation">${escapeHtml(v.kind)}</span></a>: ${escapeHtml(v.message)}</li>`).join('')}</ul>`;
  const skipped = input.skippedFaults ?? [];
  const skippedList = skipped.length === 0 ? '' : `\n<h2>Faults that did nothing</h2>\n<ul class="skipped">${skipped.map((f) => `<li>${escapeHtml(describeSkippedFault(f))}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`kafkasim report: ${input.scenario} (seed ${input.seed})`)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(input.scenario)} <small>(seed ${input.seed})</small></h1>
<p class="desc">${escapeHtml(input.description)}</p>
<p>Replay: <code>${escapeHtml(`kafkasim run ${input.source} --seed ${input.seed}`)}</code> · explain: <code>${escapeHtml(`kafkasim explain ${input.source} --seed ${input.seed}`)}</code> · fingerprint <code>${escapeHtml(input.fingerprint)}</code></p>
<h2>Violations</h2>
${list}${skippedList}
<h2>Space-time diagram</h2>
<p class="legend"><span style="background:#f6c4c5">down</span><span style="background:#fbe2b6">paused</span><span style="background:#dcd5f5">cut off by a partition</span><span style="background:#c9e9d6">the active controller</span><span style="color:#0a7">→ replication of the records in question</span><span style="color:#1f6feb">● a moment of the timeline (links below)</span><span style="background:#ececef">drain: faults stopped, all healed</span></p>
${diagram(input, lanes, timelines)}
${sections.join('\n')}
</body></html>
`;
}
