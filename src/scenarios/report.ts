import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import { compareStrings } from '../sim/order.js';
import { explainViolation, type TimelineLine } from './explain.js';
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
  /** The faults that fired but did nothing. */
  readonly skippedFaults?: readonly SkippedFault[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface Band {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  readonly kind: 'down' | 'paused' | 'cut';
}

interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly t1: number;
  readonly t2: number;
  readonly label: string;
}

/** Lanes: the controller, the brokers, the clients, in that order. */
function lanesOf(records: readonly TraceRecord[]): string[] {
  const nodes = new Set<string>();
  for (const r of records) if (r.kind === 'node.start') nodes.add(r.node);
  const rank = (n: string): number => (n.startsWith('controller') ? 0 : n.startsWith('broker') ? 1 : 2);
  return [...nodes].sort((a, b) => rank(a) - rank(b) || compareStrings(a, b));
}

function bandsOf(records: readonly TraceRecord[], end: number): Band[] {
  const bands: Band[] = [];
  const downSince = new Map<string, number>();
  const cuts = new Map<string, { from: number; nodes: string[] }>();
  // The network names a partition (net.partition), then the injector says whom it cut (fault.apply).
  let lastPartition: { name: string; at: number } | undefined;
  for (const r of records) {
    if (r.kind === 'node.crash' || r.kind === 'node.stop') downSince.set(r.node, r.at);
    else if (r.kind === 'node.start' && downSince.has(r.node)) {
      bands.push({ node: r.node, from: downSince.get(r.node) as number, to: r.at, kind: 'down' });
      downSince.delete(r.node);
    } else if (r.kind === 'node.pause') bands.push({ node: r.node, from: r.at, to: Math.min(end, r.until), kind: 'paused' });
    else if (r.kind === 'net.partition') lastPartition = { name: r.name, at: r.at };
    else if (r.kind === 'fault.apply' && r.action === 'partition' && lastPartition?.at === r.at) cuts.set(lastPartition.name, { from: r.at, nodes: [...r.targets] });
    else if (r.kind === 'net.heal') {
      for (const name of r.names) {
        const c = cuts.get(name);
        if (c === undefined) continue;
        for (const node of c.nodes) bands.push({ node, from: c.from, to: r.at, kind: 'cut' });
        cuts.delete(name);
      }
    }
  }
  for (const [node, from] of downSince) bands.push({ node, from, to: end, kind: 'down' });
  for (const c of cuts.values()) for (const node of c.nodes) bands.push({ node, from: c.from, to: end, kind: 'cut' });
  return bands;
}

/** Replication of the offsets in question: leader append -> each follower's append of them. */
function arrowsOf(records: readonly TraceRecord[], partition: string | undefined, offsets: ReadonlySet<number>): Arrow[] {
  if (partition === undefined || offsets.size === 0) return [];
  const arrows: Arrow[] = [];
  const leaderAppend = new Map<number, { broker: number; at: number }>();
  for (const r of records) {
    if (r.kind !== 'replica.append' || r.partition !== partition) continue;
    for (const o of offsets) {
      if (o < r.baseOffset || o > r.lastOffset) continue;
      if (r.role === 'leader' && !leaderAppend.has(o)) leaderAppend.set(o, { broker: r.broker, at: r.at });
      else if (r.role === 'follower') {
        const l = leaderAppend.get(o);
        if (l !== undefined && arrows.length < 40) arrows.push({ from: `broker-${l.broker}`, to: `broker-${r.broker}`, t1: l.at, t2: r.at, label: `offset ${o} replicated` });
      }
    }
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

const WIDTH = 1100;
const LANE = 34;
const LEFT = 110;

function diagram(input: ReportInput, lanes: readonly string[], timelines: readonly TimelineLine[][]): string {
  const end = Math.max(1, input.simulatedMs * 1000);
  const x = (t: number): number => LEFT + ((WIDTH - LEFT - 20) * t) / end;
  const y = (node: string): number => 30 + lanes.indexOf(node) * LANE + LANE / 2;
  const height = 40 + lanes.length * LANE + 20;
  const parts: string[] = [];
  // Time axis, every few seconds.
  const step = end > 60_000_000 ? 10_000_000 : end > 20_000_000 ? 5_000_000 : 1_000_000;
  for (let t = 0; t <= end; t += step) {
    parts.push(`<line x1="${x(t)}" y1="22" x2="${x(t)}" y2="${height - 14}" class="tick"/><text x="${x(t)}" y="16" class="axis">${t / 1_000_000}s</text>`);
  }
  for (const node of lanes) {
    parts.push(`<text x="8" y="${y(node) + 4}" class="lane">${escapeHtml(node)}</text><line x1="${LEFT}" y1="${y(node)}" x2="${WIDTH - 20}" y2="${y(node)}" class="lane-line"/>`);
  }
  for (const b of bandsOf(input.records, end)) {
    if (!lanes.includes(b.node)) continue;
    parts.push(`<rect x="${x(b.from)}" y="${y(b.node) - LANE / 2 + 3}" width="${Math.max(2, x(b.to) - x(b.from))}" height="${LANE - 6}" class="band ${b.kind}"><title>${escapeHtml(`${b.node} ${b.kind} ${formatTime(b.from)}–${formatTime(b.to)}`)}</title></rect>`);
  }
  input.violations.forEach((v, i) => {
    const p = typeof v.details.partition === 'string' ? v.details.partition : undefined;
    for (const a of arrowsOf(input.records, p, focusOffsets(v))) {
      if (!lanes.includes(a.from) || !lanes.includes(a.to)) continue;
      parts.push(`<line x1="${x(a.t1)}" y1="${y(a.from)}" x2="${x(a.t2)}" y2="${y(a.to)}" class="arrow" marker-end="url(#head)"><title>${escapeHtml(a.label)}</title></line>`);
    }
    for (const line of timelines[i] ?? []) {
      if (line.text.startsWith('→')) continue;
      const node = /broker-\d+|controller-\d+|producer-[\w.-]+/.exec(line.text)?.[0] ?? lanes[0];
      const lane = lanes.includes(node) ? node : lanes[0];
      parts.push(`<a href="#v${i + 1}-${line.at}"><circle cx="${x(line.at)}" cy="${y(lane)}" r="5" class="event"><title>${escapeHtml(`t=${formatTime(line.at)} ${line.text}`)}</title></circle></a>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" id="diagram" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="space-time diagram">
<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>
<rect x="0" y="0" width="${WIDTH}" height="${height}" class="bg"/>
${parts.join('\n')}
</svg>`;
}

/** The replicas' log end offsets at each narrated moment of a violation's timeline. */
function replicaTable(records: readonly TraceRecord[], partition: string, moments: readonly TimelineLine[], lost: ReadonlySet<number>): string {
  const leo = new Map<number, number>();
  let hw = 0;
  const rows: string[] = [];
  const brokers = new Set<number>();
  let i = 0;
  const snapshot = (line: TimelineLine): void => {
    const cells = [...brokers].sort((a, b) => a - b).map((b) => {
      const end = leo.get(b) ?? 0;
      const holds = [...lost].filter((o) => o < end).length;
      return `<td>${end}${lost.size > 0 ? ` <span class="${holds === lost.size ? 'has' : holds === 0 ? 'none' : 'some'}">(${holds}/${lost.size})</span>` : ''}</td>`;
    });
    rows.push(`<tr><td>${formatTime(line.at)}</td><td>${hw}</td>${cells.join('')}<td class="what">${escapeHtml(line.text)}</td></tr>`);
  };
  const ordered = moments.filter((m) => !m.text.startsWith('→'));
  for (const r of records) {
    while (i < ordered.length && ordered[i].at < r.at) snapshot(ordered[i++]);
    if (r.kind === 'replica.append' && r.partition === partition) {
      brokers.add(r.broker);
      leo.set(r.broker, r.lastOffset + 1);
    } else if (r.kind === 'replica.truncate' && r.partition === partition) {
      brokers.add(r.broker);
      leo.set(r.broker, r.to);
    } else if (r.kind === 'replica.hw' && r.partition === partition) hw = r.highWatermark;
  }
  while (i < ordered.length) snapshot(ordered[i++]);
  const head = [...brokers].sort((a, b) => a - b).map((b) => `<th>broker-${b} log end${lost.size > 0 ? ' (records in question held)' : ''}</th>`);
  return `<table class="replicas"><tr><th>t</th><th>leader HW</th>${head.join('')}<th>what happened</th></tr>${rows.join('')}</table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.desc { color: #444; max-width: 70em; } code { background: #f2f2f4; padding: 1px 4px; border-radius: 3px; }
.violation { color: #b3261e; font-weight: 600; }
svg .bg { fill: #fbfbfd; } svg .tick { stroke: #e4e4ea; } svg .axis { font-size: 10px; fill: #888; text-anchor: middle; }
svg .lane { font-size: 12px; fill: #333; } svg .lane-line { stroke: #c9c9d2; stroke-width: 1.5; }
svg .band.down { fill: #e5484d; opacity: .35; } svg .band.paused { fill: #f5a524; opacity: .35; } svg .band.cut { fill: #6e56cf; opacity: .22; }
svg .arrow { stroke: #0a7; stroke-width: 1.2; opacity: .8; } svg .arrowhead { fill: #0a7; }
svg .event { fill: #1f6feb; stroke: #fff; stroke-width: 1.5; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 8px; border-radius: 3px; font-size: 12px; }
ol.timeline li { margin: 3px 0; } ol.timeline .t { font-variant-numeric: tabular-nums; color: #666; margin-right: 8px; }
table.replicas { border-collapse: collapse; margin-top: 8px; font-size: 13px; }
table.replicas td, table.replicas th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; vertical-align: top; }
table.replicas td.what { text-align: left; max-width: 40em; }
.has { color: #0a7; } .some { color: #b58100; } .none { color: #b3261e; }
`;

/** The report page. */
export function renderReport(input: ReportInput): string {
  const lanes = lanesOf(input.records);
  const timelines = input.violations.map((v) => explainViolation(input.records, v));
  const sections = input.violations.map((v, i) => {
    const lines = timelines[i];
    const partition = typeof v.details.partition === 'string' ? v.details.partition : undefined;
    const items = withSkippedFaults(lines, input.skippedFaults ?? [])
      .filter((l) => !l.text.startsWith('→'))
      .map((l) => `<li id="v${i + 1}-${l.at}"><span class="t">t=${escapeHtml(formatTime(l.at))}</span>${escapeHtml(l.text)}</li>`);
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
<p class="legend"><span style="background:#f6c4c5">down</span><span style="background:#fbe2b6">paused</span><span style="background:#dcd5f5">cut off by a partition</span><span style="color:#0a7">→ replication of the records in question</span><span style="color:#1f6feb">● a moment of the timeline (links below)</span></p>
${diagram(input, lanes, timelines)}
${sections.join('\n')}
</body></html>
`;
}
