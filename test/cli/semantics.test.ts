import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { DEEP } from '../helpers/deep.js';
import { matrixLines } from '../../src/cli/commands/semantics.js';
import { COLUMNS, ROWS, semanticsCell, type Cell } from '../../src/scenarios/semantics.js';

describe('kafkasim semantics', () => {
  // The default suite spawns the matrix over one seed a cell (every claim below but two shows in
  // seed 1) and runs the two consumer-crash cells whose effect first shows in seed 2 in-process
  // over seeds 1-2; the deep run spawns the whole matrix over seeds 1-2 and reads every claim from it.
  const seeds = DEEP ? 2 : 1;
  it('computes the delivery matrix: nothing without faults, nothing with idempotence, acks=0 losing writes to a crashed leader', { timeout: 600_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kafkasim-semantics-')), 'semantics.md');
    const r = cli('semantics', '--seeds', String(seeds), '--json', '--out', out);
    expect(r.code).toBe(0); // nothing the textbook rules out happened
    const m = JSON.parse(r.stdout) as { columns: string[]; rows: string[]; cells: { row: string; column: string; seeds: number; lost: number; duplicated: number; reordered: number; unexpected: string[] }[] };
    expect(m.columns).toEqual(['none', 'leader crash', 'leader isolated', 'zombie pause', 'rolling restart', 'consumer crash']);
    expect(m.rows).toEqual(expect.arrayContaining(['commit-before-process', 'commit-after-process', 'auto-commit', 'transactions (exactly-once)']));
    expect(m.cells).toHaveLength(m.rows.length * m.columns.length);
    const cell = (row: string, column: string) => m.cells.find((c) => c.row === row && c.column === column);
    for (const row of m.rows) expect(cell(row, 'none')).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    for (const column of m.columns) expect(cell('idempotence (acks=all, min.insync.replicas=2)', column)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(cell('acks=0', 'leader crash')?.lost).toBeGreaterThan(0);
    // A planned rolling restart still loses acks=1 writes; acks=all with min.insync.replicas=2 none.
    expect(cell('acks=1', 'rolling restart')?.lost).toBeGreaterThan(0);
    expect(cell('acks=all, min.insync.replicas=2', 'rolling restart')?.lost).toBe(0);
    // Transactions: nothing lost or doubled, whatever the fault.
    for (const column of m.columns) expect(cell('transactions (exactly-once)', column)).toMatchObject({ lost: 0, duplicated: 0, unexpected: [] });
    // The consumer side: a member crash makes commit-before-process skip and commit-after-process reprocess.
    const crash = COLUMNS.find((c) => c.name === 'consumer crash');
    const consumerCrash = (row: string) => (DEEP ? cell(row, 'consumer crash') : semanticsCell(ROWS.find((x) => x.name === row) ?? ROWS[0], crash ?? COLUMNS[0], 2));
    const [before, after] = [consumerCrash('commit-before-process'), consumerCrash('commit-after-process')];
    expect([before?.row, before?.column, before?.seeds, after?.row, after?.column, after?.seeds]).toEqual(['commit-before-process', 'consumer crash', 2, 'commit-after-process', 'consumer crash', 2]);
    expect(before).toMatchObject({ duplicated: 0, unexpected: [] });
    expect(before?.lost).toBeGreaterThan(0);
    expect(after).toMatchObject({ lost: 0, unexpected: [] });
    expect(after?.duplicated).toBeGreaterThan(0);
    expect(cell('acks=0', 'consumer crash')).toMatchObject({ applicable: false });
    for (const c of m.cells) expect(c.unexpected).toEqual([]);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('| configuration | none | leader crash | leader isolated | zombie pause | rolling restart | consumer crash |');
    expect(md).toContain('| commit-before-process |');
    expect(md).toContain('| acks=0 |');
  });

  it('exits 2 on a bad seed count', () => {
    expect(cli('semantics', '--seeds', '0').code).toBe(2);
  });
});

describe('kafkasim semantics in the terminal', () => {
  it("names each kind of row's counts above it (the consumer rows count records skipped and processed again) and lists each row's settings", () => {
    const cells: Cell[] = ROWS.flatMap((row) => COLUMNS.map((col) => ({ row: row.name, column: col.name, seeds: 1, lost: 0, duplicated: 0, reordered: 0, applicable: true, unexpected: [], notSeen: [] })));
    const lines = matrixLines(cells, 1).map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    const producerHead = lines.indexOf('producer rows: messages lost / duplicated / reordered in the committed log:');
    const consumerHead = lines.indexOf('consumer rows: records skipped / processed again / read out of order, by the group:');
    expect(producerHead).toBe(1);
    expect(consumerHead).toBeGreaterThan(producerHead);
    expect(lines[consumerHead + 2]).toMatch(/^commit-before-process\s/);
    expect(lines).toContain('  acks=all, min.insync.replicas=2: acks=all, enable.idempotence=false, min.insync.replicas=2');
    expect(lines).toContain('  idempotence (acks=all, min.insync.replicas=2): acks=all, enable.idempotence=true, min.insync.replicas=2');
    expect(lines).toContain('  commit-after-process: acks=all, enable.idempotence=true, min.insync.replicas=2, consumer processing commit-after-process');
  });
});
