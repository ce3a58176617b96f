import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function lint(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the determinism lint', () => {
  it.each([
    ['Math.random()', 'no-restricted-properties'],
    ['Date.now()', 'no-restricted-properties'],
    ['new Date()', 'no-restricted-syntax'],
    ['performance.now()', 'no-restricted-'],
    ['setTimeout(() => {}, 1)', 'no-restricted-globals'],
    ['setInterval(() => {}, 1)', 'no-restricted-globals'],
    ['setImmediate(() => {})', 'no-restricted-globals'],
    ['process.hrtime()', 'no-restricted-'],
    ['crypto.randomUUID()', 'no-restricted-'],
    ['crypto.getRandomValues(new Uint8Array(4))', 'no-restricted-'],
    ['[3, 1, 2].sort()', 'no-restricted-syntax'],
  ])('rejects %s under src/', async (expr, rule) => {
    const messages = await lint(`export const x = ${expr};\n`, 'src/sim/bad.ts');
    expect(messages.some((m) => m.startsWith(rule))).toBe(true);
  });

  it('rejects async code in simulated layers', async () => {
    const messages = await lint('export async function f(): Promise<number> { return await Promise.resolve(1); }\n', 'src/nodes/bad.ts');
    expect(messages.filter((m) => m.startsWith('no-restricted-syntax')).length).toBeGreaterThanOrEqual(2);
  });

  it('rejects numbers cast to Duration or Time in nodes, scenarios and checkers', async () => {
    const code = "import type { Duration } from '../sim/time.js';\nexport const tick = 100 as Duration;\n";
    expect((await lint(code, 'src/nodes/bad.ts')).some((m) => m.includes('millis()'))).toBe(true);
    expect((await lint(code, 'src/scenarios/bad.ts')).some((m) => m.includes('millis()'))).toBe(true);
    expect(await lint("import { millis } from '../sim/time.js';\nexport const tick = millis(100);\n", 'src/nodes/ok.ts')).toEqual([]);
  });

  it('allows the wall clock in the CLI and deterministic code elsewhere', async () => {
    expect(await lint('export const t = Date.now();\n', 'src/cli/progress.ts')).toEqual([]);
    expect(await lint('export const d = new Date(0);\n', 'src/sim/ok.ts')).toEqual([]);
  });
});
