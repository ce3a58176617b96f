import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { glossaryLines } from '../../src/cli/commands/glossary.js';
import { glossaryTerms } from '../../src/web/glossary.js';
import { cli } from '../helpers/cli.js';

describe('kafkasim glossary', () => {
  const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

  it("defines every term of docs/glossary.md, in the doc's own words", () => {
    const terms = glossaryTerms(readFileSync('docs/glossary.md', 'utf8'));
    const lines = glossaryLines().map(strip);
    for (const t of terms) expect(lines).toEqual(expect.arrayContaining([t.term, `  ${t.definition}`]));
    expect(lines.length).toBe(terms.length * 2);
  });

  it('finds one term by its name or abbreviation, and says which terms there are for an unknown one', () => {
    expect(glossaryLines('hw').map(strip)[0]).toBe('High watermark (HW)');
    expect(glossaryLines('isr').map(strip)[0]).toBe('ISR (in-sync replicas)');
    expect(() => glossaryLines('watermak')).toThrow(/glossary: no term "watermak".*the terms: .*High watermark \(HW\)/);
  });

  it('shows the definitions in kafkasim help glossary', () => {
    const r = cli('help', 'glossary');
    expect(r.stdout).toContain('Leader epoch');
    expect(r.stdout).toMatch(/up to N/);
  });
});
