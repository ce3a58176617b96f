import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument, stringify } from 'yaml';
import { ScenarioError, parseScenario, scenarioFromObject } from '../../src/scenarios/loader.js';
import { simulate } from '../../src/scenarios/simulate.js';
import { cli } from '../helpers/cli.js';

/**
 * Issue 21's scenario-file fuzzer: mutants of the library's scenario files (keys dropped,
 * duplicated or retyped, huge and negative numbers, wrong units, deep nesting, unicode,
 * empty and binary files, anchors and aliases) either load or throw a ScenarioError whose
 * every issue names its field (and its line, where the text has one); the CLI answers them
 * with exit 0, 1 or 2 and never a stack trace; `simulate` with a bad object throws only
 * ScenarioError. The default suite runs a few hundred cases; `npm run test:deep` thousands.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
const libraryDir = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const files = readdirSync(libraryDir).filter((f) => f.endsWith('.yaml')).sort();
const texts = files.map((f) => readFileSync(join(libraryDir, f), 'utf8'));
const objects: unknown[] = texts.map((t) => parse(t));

type Json = unknown;
type Path = readonly (string | number)[];

/** Every path in a parsed document, the root first. */
function paths(value: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  return out;
}

function clone(value: Json): Json {
  return value === undefined ? undefined : structuredClone(value);
}

/** The parent of `path` in `root`, and the last key. */
function parentOf(root: Json, path: Path): { parent: Record<string | number, Json> | Json[]; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node = root;
  for (const k of path.slice(0, -1)) node = (node as Record<string | number, Json>)[k];
  return { parent: node as Record<string | number, Json>, key: path[path.length - 1] };
}

const weirdNumber = fc.constantFrom(1e308, -1e308, 1e12, -1, -0, 0, 0.5, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Infinity, -Infinity, NaN, 2147483648, -2147483649);
const weirdText = fc.oneof(
  fc.constantFrom('5 parsecs', '-3s', '0s', '1e308s', 'NaNs', '3s..1s', '1000/parsec', '-5/s', '1e400/s', '', ' ', '\u0000', '\u202e10s', '１０s', '10ｓ', '🦄', '${env}', '<<', '*a', '&a', '~', 'null', 'true', '0x10', '1_000', 'leader(nope-99)', 'broker-0', 'broker-999999999999', 'all', '-1', '2m..', '..', '\ud800'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.tuple(fc.integer({ min: -5, max: 1e9 }), fc.constantFrom('us', 'ms', 's', 'm', 'h', 'd', 'parsecs', '/s', '/ms', '')).map(([n, u]) => `${n}${u}`),
);
function nested(depth: number): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { a: v } : [v];
  return v;
}
const weirdValue: fc.Arbitrary<Json> = fc.oneof(
  weirdNumber,
  weirdText,
  fc.constantFrom(null, true, false, [], {}, [null], { '': 1 }, { __proto__: 1 }, { constructor: 'x' }, { toString: 1 }),
  fc.integer({ min: 1, max: 400 }).map(nested),
  fc.jsonValue({ maxDepth: 3 }),
);

type Mutation = (root: Json, path: Path, value: Json) => Json;
const mutations: Record<string, Mutation> = {
  drop: (root, path) => {
    const p = parentOf(root, path);
    if (p === undefined) return undefined;
    if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 1);
    else delete p.parent[p.key];
    return root;
  },
  replace: (root, path, value) => {
    const p = parentOf(root, path);
    if (p === undefined) return value;
    (p.parent as Record<string | number, Json>)[p.key] = value;
    return root;
  },
  duplicate: (root, path) => {
    // The same object twice: stringify writes it once with an anchor and once as an alias.
    const p = parentOf(root, path);
    if (p === undefined) return [root, root];
    const v = (p.parent as Record<string | number, Json>)[p.key];
    if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 0, v);
    else (p.parent as Record<string, Json>)[`${String(p.key)}_copy`] = v;
    return root;
  },
  addKey: (root, path, value) => {
    const p = parentOf(root, path);
    const target = p === undefined ? root : (p.parent as Record<string | number, Json>)[p.key];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[typeof value === 'string' ? value : 'extra'] = value;
    return root;
  },
  retype: (root, path) => {
    const p = parentOf(root, path);
    if (p === undefined) return [root];
    const v = (p.parent as Record<string | number, Json>)[p.key];
    (p.parent as Record<string | number, Json>)[p.key] = typeof v === 'number' ? String(v) : typeof v === 'string' ? (Number.isNaN(Number(v)) ? [v] : Number(v)) : Array.isArray(v) ? v[0] : v !== null && typeof v === 'object' ? Object.values(v) : { v };
    return root;
  },
};

/** A mutant of one library file: structural mutations of its object, then written as YAML. */
const objectMutant = fc
  .tuple(fc.nat(files.length - 1), fc.array(fc.tuple(fc.constantFrom(...Object.keys(mutations)), fc.nat(), weirdValue), { minLength: 1, maxLength: 4 }))
  .map(([file, steps]) => {
    let root = clone(objects[file]);
    for (const [name, at, value] of steps) {
      const all = paths(root);
      root = mutations[name](root, all[at % all.length], clone(value));
    }
    return root;
  });

/** Mutants of the text itself: empty, binary, truncated, spliced, anchors and small alias bombs. */
const textMutant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '\n', '---', '--- !!binary', '~', '[]', '42', '"x"', '%YAML 1.1\n---\n', '\ufeff', 'a: &a [*a]', '*a', '&a'),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.tuple(fc.nat(files.length - 1), fc.nat(), fc.nat()).map(([f, a, b]) => texts[f].slice(Math.min(a, b) % texts[f].length, Math.max(a, b) % (texts[f].length + 1))),
  fc.tuple(fc.nat(files.length - 1), fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })).map(([f, at, s]) => texts[f].slice(0, at % texts[f].length) + s + texts[f].slice(at % texts[f].length)),
  fc.tuple(fc.nat(files.length - 1), fc.integer({ min: 1, max: 12 })).map(([f, n]) => {
    // An alias bomb kept small: each level refers to the one before n times.
    const levels = Array.from({ length: n }, (_, i) => `x${i}: &x${i} [${i === 0 ? '1' : Array.from({ length: 4 }, () => `*x${i - 1}`).join(', ')}]`);
    return `${levels.join('\n')}\n${texts[f]}`;
  }),
  fc.tuple(fc.nat(files.length - 1), fc.nat()).map(([f, at]) => {
    // A value replaced by an alias to the file's first anchored map.
    const lines = texts[f].split('\n');
    const i = at % lines.length;
    lines[i] = lines[i].replace(/^(\s*)([\w.-]+):\s+\S.*$/, '$1$2: *top');
    return `top: &top { brokers: 3 }\n${lines.join('\n')}`;
  }),
  fc.tuple(fc.nat(files.length - 1), fc.constantFrom('<<: *m\n', 'm: &m { a: 1 }\n', '? [a, b]\n: 1\n', '!!set { a, b }\n', 'k: !!float 1e400\n', 'k: .nan\n', 'k: 0o777\n', 'name: !!binary aGVsbG8=\n', 'name: x\nname: y\n')).map(([f, s]) => `${s}${texts[f]}`),
);

/** What a mutant may do: load, or throw a ScenarioError whose every issue says where. */
function checkLoad(text: string): 'ok' | 'invalid' {
  const started = Date.now();
  let outcome: 'ok' | 'invalid';
  try {
    parseScenario(text, 'fuzz.yaml');
    outcome = 'ok';
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw new Error(`not a ScenarioError: ${String(err)}\n${JSON.stringify(text.slice(0, 2000))}`, { cause: err });
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.message.startsWith('fuzz.yaml: ')).toBe(true);
    const doc = parseDocument(text);
    const hasNodes = doc.errors.length === 0 && doc.contents !== null;
    for (const issue of err.issues) {
      expect(typeof issue.message).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
      expect(issue.message).not.toMatch(/\n\s+at /);
      // A field's issue names it; one with no field is about the whole file, and placed in it.
      if (issue.path === '' && hasNodes) expect(issue.line).toBeDefined();
      if (hasNodes) expect(issue.line).toBeDefined();
    }
    outcome = 'invalid';
  }
  expect(Date.now() - started).toBeLessThan(5_000);
  return outcome;
}

/** The library API: a bad plain object throws a ScenarioError before anything runs. */
function checkObject(value: Json): 'ok' | 'invalid' {
  try {
    scenarioFromObject(value, 'fuzz');
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw new Error(`scenarioFromObject threw ${String(err)}`, { cause: err });
    for (const issue of err.issues) expect(issue.message.length).toBeGreaterThan(0);
    let thrown: unknown;
    try {
      simulate(value as Record<string, unknown>);
    } catch (e) {
      thrown = e;
    }
    if (!(thrown instanceof ScenarioError)) throw new Error(`simulate threw ${String(thrown)}: ${JSON.stringify(value)?.slice(0, 2000)}`, { cause: thrown });
    return 'invalid';
  }
  return 'ok';
}

/** Inputs the fuzzer once broke on, each with the first issue the loader now reports. */
const regressions: { text: string; issue: string }[] = [
  // An alias bomb: yaml's toJS threw a ReferenceError ("Excessive alias count ...").
  { text: 'x0: &x0 [1]\nx1: &x1 [*x0, *x0, *x0, *x0]\nx2: &x2 [*x1, *x1, *x1, *x1]\nx3: &x3 [*x2, *x2, *x2, *x2]\nname: t\n', issue: '2:  aliases expand too far' },
  // A merge key naming an anchor that does not exist: the same, "Unresolved alias ...".
  { text: 'name: t\nduration: 10s\ncluster:\n  <<: *nope\n  brokers: 3\n', issue: '4:  unresolved alias (the anchor must be set before the alias): nope' },
  // Deep nesting: the yaml parser's own "Maximum call stack size exceeded", now said plainly.
  { text: `name: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, issue: '1:  nested too deeply' },
];

/** A map used as a key: the yaml package printed a warning to stderr, which the CLI passed on. */
const complexKey = 'name: t\n? [a, b]\n: 1\n';

function firstIssue(text: string): string {
  try {
    parseScenario(text, 'fuzz.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return `${err.issues[0].line ?? '?'}: ${err.issues[0].path} ${err.issues[0].message}`;
    throw err;
  }
  return 'loaded';
}

describe('scenario-file fuzzing (issue 21)', () => {
  it('every library file loads unchanged', () => {
    for (const t of texts) expect(checkLoad(t)).toBe('ok');
  });

  it('regression examples give a ScenarioError that names the field', () => {
    for (const { text, issue } of regressions) {
      expect(checkLoad(text)).toBe('invalid');
      expect(firstIssue(text)).toContain(issue);
    }
  });

  it('simulate() regression examples throw a ScenarioError before running', () => {
    // simulate() took any object whose duration was a number for a validated scenario, and
    // threw a TypeError from inside the run (or at once, for no object at all).
    const valid = parse(texts[0]) as Record<string, unknown>;
    for (const bad of [undefined, null, 5, 'x', [], { ...valid, duration: 5 }, { duration: 30_000_000 }, { ...parseScenario(texts[0]), clients: 'none' }]) {
      expect(checkObject(bad)).toBe('invalid');
    }
  });

  it('mutated scenario objects, written as YAML, load or throw a ScenarioError naming each field and line', () => {
    fc.assert(
      fc.property(objectMutant, (root) => {
        checkLoad(root === undefined ? '' : stringify(root));
      }),
      { numRuns: deep ? 5_000 : 150 },
    );
  });

  it('mutated texts (empty, binary, truncated, anchors and alias bombs) load or throw a ScenarioError', () => {
    fc.assert(
      fc.property(textMutant, (text) => {
        checkLoad(text);
      }),
      { numRuns: deep ? 3_000 : 100 },
    );
  });

  it('simulate() with a mutated plain object throws only ScenarioError', () => {
    fc.assert(
      fc.property(objectMutant, (root) => {
        checkObject(root);
      }),
      { numRuns: deep ? 3_000 : 100 },
    );
  });

  it('the CLI answers mutant files with exit 0, 1 or 2 and never a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-fuzz-'));
    // Each run samples new mutants, as fc.assert does; a failure names the seed that replays them.
    const seed = (Date.now() ^ process.pid) >>> 0;
    try {
      const samples = [
        ...regressions.map((r) => r.text),
        complexKey,
        // Each mutant that does not load is a spawn of the CLI: the default suite samples 4 object and
        // 3 text mutants besides the regressions; the deep run samples 150 and 100.
        ...fc.sample(objectMutant.map((r) => (r === undefined ? '' : stringify(r))), { numRuns: deep ? 150 : 4, seed }),
        ...fc.sample(textMutant, { numRuns: deep ? 100 : 3, seed }),
      ];
      samples.forEach((text, i) => {
        const file = join(dir, `mutant-${i}.yaml`);
        writeFileSync(file, text);
        // A mutant that still loads would run its whole duration: only bad ones are run here.
        if (checkLoad(text) === 'ok') return;
        const r = cli('run', file);
        const where = `${file} (fc.sample seed ${seed}): ${r.stderr}`;
        expect([0, 1, 2], where).toContain(r.code);
        expect(r.stderr, where).not.toMatch(/^\s+at /m);
        expect(r.stderr, where).not.toMatch(/^\w*Error: /m);
        expect(r.stderr, where).not.toMatch(/Warning:/);
        expect(r.code, where).toBe(2);
        expect(r.stderr, where).toContain(file);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, deep ? 600_000 : 60_000);
});
