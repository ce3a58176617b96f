import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenarios/loader.js';
import { libraryPath } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { renderReport, reportInput } from '../../src/scenarios/report.js';

const reports = new Map<string, string>();

/** The report of a library lesson's run, as `kafkasim report` writes it (each lesson run once). */
function report(name: string): string {
  let html = reports.get(name);
  if (html === undefined) reports.set(name, (html = render(name)));
  return html;
}

function render(name: string): string {
  const scenario = loadScenario(libraryPath(name) as string);
  return renderReport(reportInput(scenario, runScenario(scenario, { keepTrace: true }), name));
}

const text = (cell: string): string => cell.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The first replica table's rows, as cells of text. */
function replicaRows(html: string): string[][] {
  const table = /<table class="replicas">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => text(c[1])));
}

/** The diagram's lanes by their y, its bands, arrows and moments. */
function diagram(html: string): {
  lanes: Map<number, string>;
  bands: { lane: string; kind: string; x: number; width: number }[];
  arrows: { from: string; to: string; x1: number }[];
  moments: { lane: string; title: string }[];
} {
  const lanes = new Map([...html.matchAll(/<text x="8" y="([\d.]+)" class="lane">([^<]+)<\/text>/g)].map((m) => [Number(m[1]) - 4, text(m[2])]));
  const laneAt = (y: number): string => lanes.get(y) ?? `?${y}`;
  const bands = [...html.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" class="band (\w+)">/g)].map((m) => ({ lane: laneAt(Number(m[2]) + 14), kind: m[4], x: Number(m[1]), width: Number(m[3]) }));
  const arrows = [...html.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)" class="arrow"/g)].map((m) => ({ from: laneAt(Number(m[2])), to: laneAt(Number(m[3])), x1: Number(m[1]) }));
  const moments = [...html.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)" r="5" class="event"><title>([^<]*)<\/title>/g)].map((m) => ({ lane: laneAt(Number(m[1])), title: text(m[2]) }));
  return { lanes, bands, arrows, moments };
}

describe('report', () => {
  const acks1 = report('acks1-leader-failover');

  it('counts a record in question held only until the truncation that dropped it, not when new records take its offset', () => {
    const rows = replicaRows(acks1);
    // With the 3-controller default and placement forked by topic, the lost writes are in orders-2
    // and broker-3 (its crashed leader) truncates them; it was broker-1 in orders-0.
    const truncated = rows.findIndex((r) => /broker-3 truncated orders-2 from \d+ to offset \d+/.test(r.at(-1) ?? ''));
    expect(truncated).toBeGreaterThan(0);
    const head = rows[0];
    const broker1 = head.indexOf('broker-1 log end (records in question held)');
    const broker3 = head.indexOf('broker-3 log end (records in question held)');
    expect(rows[truncated - 1][broker3]).toMatch(/\((\d+)\/\1\)$/);
    // From the truncation on, no replica holds any of them: the lost writes are lost everywhere.
    for (const row of rows.slice(truncated)) for (const cell of row.slice(broker1, -1)) expect(cell).toMatch(/\(0\/\d+\)$/);
  });

  it('has leader and ISR columns that follow the elections and ISR changes', () => {
    const rows = replicaRows(acks1);
    expect(rows[0].slice(0, 4)).toEqual(['t', 'leader', 'ISR', 'leader HW']);
    // Re-pinned to the 3-controller default (orders-2, led first by broker-3, then two elections).
    const first = rows.find((r) => /the controller elected broker-1 leader of orders-2 \(epoch 1\) from the ISR \[1,2\]/.test(r.at(-1) ?? ''));
    expect(first?.slice(1, 3)).toEqual(['broker-1', '[1,2]']);
    const elected = rows.find((r) => /the controller elected broker-2 leader of orders-2 \(epoch 2\) from the ISR \[2\]/.test(r.at(-1) ?? ''));
    expect(elected?.slice(1, 3)).toEqual(['broker-2', '[2]']);
    const grew = rows.find((r) => /the ISR of orders-2 grew to \[3,2\]/.test(r.at(-1) ?? ''));
    expect(grew?.slice(1, 3)).toEqual(['broker-2', '[3,2]']);
    expect(rows[1].slice(1, 3)).toEqual(['broker-3', '[3,1,2]']);
  });

  it('draws no replication of the records in question that never happened: acks=1 lost them before any follower had them', () => {
    // explain: at the crash the followers had broker-1 and broker-2 up to 9237, the first lost offset: none of them had a lost record.
    const { arrows } = diagram(acks1);
    expect(arrows).toEqual([]);
  });

  it('draws replication arrows from the leader a follower copied from, never from inside its down band nor to itself', () => {
    const d = diagram(report('kip101-hw-truncation'));
    expect(d.arrows.length).toBeGreaterThan(0);
    for (const a of d.arrows) {
      expect(a.from).not.toBe(a.to);
      expect(a.from).toMatch(/^broker-\d$/);
      for (const b of d.bands.filter((x) => x.lane === a.from && x.kind === 'down')) expect(a.x1 > b.x && a.x1 < b.x + b.width).toBe(false);
    }
  });

  it('shades only the isolated broker as cut off, not every lane', () => {
    const html = report('unclean-election');
    const cut = diagram(html).bands.filter((b) => b.kind === 'cut');
    // follower(orders-0) is broker-2 with the topic-forked placement (was broker-3).
    expect(cut.map((b) => b.lane)).toEqual(['broker-2']);
  });

  it('has no duplicate ids, and every link of the diagram leads to a moment', () => {
    const html = report('unclean-election');
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(ids.length);
    const links = [...html.matchAll(/ href="#([^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(ids).toContain(l);
  });

  it("puts consumer-group moments on the member's or the group's lane, not on a broker's", () => {
    const d = diagram(report('consumer-auto-commit-crash'));
    expect([...d.lanes.values()]).toContain('group g1');
    const grouped = d.moments.filter((m) => /\bg1\b|\bc1-\d\b/.test(m.title));
    expect(grouped.length).toBeGreaterThan(3);
    for (const m of grouped) expect(m.lane).toMatch(/^(consumer-c1-\d|group g1)$/);
    expect(d.moments.find((m) => /moved g1 to generation/.test(m.title))?.lane).toBe('group g1');
    expect(d.moments.find((m) => /c1-1 polled/.test(m.title))?.lane).toBe('consumer-c1-1');
  });

  it('marks the drain on the time axis', () => {
    // acks1-leader-failover: 30 s, then a 30 s drain: it starts halfway along the axis.
    const m = /<rect x="([\d.]+)" y="22" width="([\d.]+)" height="[\d.]+" class="drain"><title>the drain from 30\.000s: faults stopped/.exec(acks1);
    expect(m).not.toBeNull();
    const start = Number(m?.[1]);
    expect(start).toBeCloseTo(110 + (1100 - 110 - 20) / 2, 0);
    expect(acks1).toMatch(/class="drain-label">drain<\/text>/);
  });

  it('shows the active controller over time on the controller lanes, with the gap when there was none', () => {
    const active = diagram(report('controller-rejoin-no-prevote')).bands.filter((b) => b.kind === 'active');
    // controller-3 from its first election until the rejoining voter's epoch unseats it (17.7 s); controller-1 from 19.0 s to the end.
    expect(active.map((b) => b.lane)).toEqual(['controller-3', 'controller-1']);
    const [first, second] = active;
    expect(second.x).toBeGreaterThan(first.x + first.width);
    const html = report('controller-rejoin-no-prevote');
    expect(html).toMatch(/<title>controller-3 the active controller 1\.144s–17\.741s<\/title>/);
  });
});
