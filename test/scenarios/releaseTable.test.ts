import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { releaseTableMarkdown } from '../../src/scenarios/releaseTable.js';

describe("docs/fidelity.md's table of behaviour x release", () => {
  it('is the one the declarations write (regenerate with node scripts/releaseTable.mjs)', () => {
    const doc = readFileSync(new URL('../../docs/fidelity.md', import.meta.url), 'utf8');
    const inDoc = /<!-- release-table:start -->\n([\s\S]*?)\n<!-- release-table:end -->/.exec(doc)?.[1];
    expect(inDoc).toBe(releaseTableMarkdown());
  });

  it('cites a KIP or JIRA for every change', () => {
    for (const line of releaseTableMarkdown().split('\n').filter((l) => /^\| (broker|producer|consumer) \| `/.test(l))) {
      expect(line).toMatch(/(KIP|KAFKA)-\d+[^|]*\|$/);
    }
  });
});
