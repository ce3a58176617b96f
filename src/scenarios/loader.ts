import { readFileSync } from 'node:fs';
import { isAlias, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { withReleaseDefaults } from './releaseDefaults.js';
import { scenarioJsonSchema, scenarioSchema, type Scenario } from './schema.js';
import { hintedMessages, type SchemaNode } from './issueHints.js';
import { scenarioWarnings } from './warnings.js';

/** One problem in a scenario file: where, and what. */
export interface ScenarioIssue {
  /** The field, as `clients[0].config["linger.ms"]`; empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column, when the problem is a syntax error or the field can be located. */
  readonly line?: number;
  readonly column?: number;
  /** For a YAML syntax error: the offending line of the file, with a caret under the column. */
  readonly excerpt?: string;
}

/** A scenario that cannot be run, with every problem found, each naming its field. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(`${source}: invalid scenario\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

function formatIssue(i: ScenarioIssue): string {
  const where = i.line !== undefined ? `line ${i.line}${i.column !== undefined ? `:${i.column}` : ''}: ` : '';
  const excerpt = i.excerpt === undefined ? '' : `\n${i.excerpt.replace(/^/gm, '    ')}`;
  return `${where}${i.path === '' ? '' : `${i.path}: `}${i.message}${excerpt}`;
}

/** `clients[0].config["linger.ms"]`: brackets for indexes and for keys that are not plain names. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** The scenario format as JSON Schema: the map of which keys go where, for the hints. Built once. */
let jsonSchema: SchemaNode | undefined;
function schemaMap(): SchemaNode {
  jsonSchema ??= scenarioJsonSchema() as SchemaNode;
  return jsonSchema;
}

/** The scenarios scenarioFromObject returned: simulate() runs these without validating again. */
const validatedScenarios = new WeakSet<object>();

/** The traps each validated scenario falls into (src/scenarios/warnings.ts), located in its file. */
const warningsByScenario = new WeakMap<object, readonly ScenarioIssue[]>();

/** The warnings of a scenario this module validated: legal settings that make the run answer another question than the one asked. */
export function warningsOf(scenario: Scenario): readonly ScenarioIssue[] {
  return warningsByScenario.get(scenario) ?? [];
}

/** `line 12: clients[1].config["auto.offset.reset"]: …`: an issue or a warning in one line (and its excerpt). */
export { formatIssue };

/** Whether `value` is a scenario this module validated (not a copy, not a written one). */
export function isValidatedScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && validatedScenarios.has(value);
}

/** Validates a parsed scenario object, filling in defaults. */
export function scenarioFromObject(value: unknown, source = 'scenario', locate?: (path: readonly PropertyKey[]) => { line: number; column: number } | undefined): Scenario {
  const result = scenarioSchema.safeParse(withReleaseDefaults(value));
  if (result.success) {
    validatedScenarios.add(result.data);
    warningsByScenario.set(result.data, scenarioWarnings(result.data).map((w) => ({ path: formatPath(w.path), message: w.message, ...locate?.(w.path) })));
    return result.data;
  }
  const issues = result.error.issues.flatMap((issue) => hintedMessages(issue, value, schemaMap()).map((h) => ({ path: formatPath(h.path), message: h.message, ...locate?.(h.path) })));
  // In the file's order (the schema finds them field by field, then across fields); the sort is stable.
  const at = (i: { line?: number; column?: number }): number => (i.line ?? Number.MAX_SAFE_INTEGER) * 10_000 + (i.column ?? 0);
  issues.sort((x, y) => at(x) - at(y));
  throw new ScenarioError(source, issues);
}

/** Parses and validates scenario text (YAML, which includes JSON). */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  return parseScenarioDocument(text, source).scenario;
}

/** The scenario, and the plain object it was read from (for tools that rewrite scenario files). */
export function parseScenarioDocument(text: string, source = 'scenario'): { raw: unknown; scenario: Scenario } {
  const lines = new LineCounter();
  // Warnings (such as a map used as a key) stay in doc.warnings instead of printing to stderr.
  const doc = parseDocument(text, { lineCounter: lines, logLevel: 'error' });
  if (doc.errors.length > 0) throw new ScenarioError(source, yamlIssues(doc.errors, text));
  const locate = (path: readonly PropertyKey[]): { line: number; column: number } | undefined => {
    // The deepest node of the path that exists in the document.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range !== undefined) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
  const raw = toPlain(doc, source, lines);
  return { raw, scenario: scenarioFromObject(raw, source, locate) };
}

/**
 * The YAML parser's errors in plain words, each with its line shown: one per line (the parser
 * often reports one mistake twice), first at each line.
 */
function yamlIssues(errors: readonly YAMLError[], text: string): ScenarioIssue[] {
  const lines = text.split(/\r?\n/);
  const seen = new Set<number | undefined>();
  const issues: ScenarioIssue[] = [];
  for (const e of errors) {
    const pos = e.linePos?.[0];
    if (seen.has(pos?.line)) continue;
    seen.add(pos?.line);
    const excerpt = pos === undefined || lines[pos.line - 1] === undefined ? undefined : excerptOf(lines, pos.line, pos.col, IMPLICIT_KEY_ERRORS.has(e.code));
    issues.push({ path: '', message: yamlMessage(e), line: pos?.line, column: pos?.col, ...(excerpt === undefined ? {} : { excerpt }) });
  }
  return issues;
}

/** Errors the yaml package reports at the line before the one that is off. */
const IMPLICIT_KEY_ERRORS = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

/** `  4 |   brokers: 3` and a caret under the column, then the next line when the mistake may be there. */
function excerptOf(lines: readonly string[], line: number, column: number, withNext: boolean): string {
  const width = String(line + 1).length;
  const numbered = (n: number): string => `${String(n).padStart(width)} | ${lines[n - 1]}`;
  const caret = `${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`;
  return [numbered(line), caret, ...(withNext && lines[line] !== undefined ? [numbered(line + 1)] : [])].join('\n');
}

/** What a YAML syntax error means for someone writing a scenario (the yaml package's codes, YAMLError.code). */
function yamlMessage(e: YAMLError): string {
  const original = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  // The yaml parser recurses per level of nesting, and reports running out of stack as an error.
  if (/maximum call stack/i.test(original)) return 'nested too deeply';
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return 'YAML syntax: a tab indents this line; YAML indents with spaces only';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'YAML syntax: this line or the next is indented differently from the keys above it (the keys of one section start in the same column)';
    case 'BAD_INDENT':
      if (/^Flow map/.test(original)) return 'YAML syntax: a { opened above is not closed with } (or the line after it is not indented under its key)';
      if (/^Flow sequence/.test(original)) return 'YAML syntax: a [ opened above is not closed with ] (or the line after it is not indented under its key)';
      return 'YAML syntax: this line is indented differently from the keys above it (the keys of one section start in the same column)';
    case 'DUPLICATE_KEY':
      return 'YAML syntax: this key is written twice in the same section; keep one';
    case 'MISSING_CHAR':
      return /quote/.test(original) ? 'YAML syntax: a quote opened above is not closed' : `YAML syntax: ${original}`;
    default:
      return `YAML syntax: ${original}`;
  }
}

/**
 * The document as plain values. The yaml package refuses an alias whose anchor is missing,
 * and aliases that expand too far (an "alias bomb"), with a ReferenceError: bad input,
 * reported at the unresolved alias, or else at the first one.
 */
function toPlain(doc: Document, source: string, lines: LineCounter): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const excessive = /excessive alias count/i.test(err.message);
    let at: { line: number; col: number } | undefined;
    visit(doc, (_key, node) => {
      if (!isAlias(node) || node.range === undefined || node.range === null) return undefined;
      if (at === undefined || node.resolve(doc) === undefined) at = lines.linePos(node.range[0]);
      return excessive || node.resolve(doc) === undefined ? visit.BREAK : undefined;
    });
    const message = excessive ? 'aliases expand too far (the yaml package stops at 100 aliased nodes)' : err.message.replace(/^Unresolved alias/, 'unresolved alias');
    throw new ScenarioError(source, [{ path: '', message, line: at?.line, column: at?.col }]);
  }
}

/** Reads a scenario file. Bad input throws ScenarioError naming the file, the field and the line. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScenarioError(path, [{ path: '', message: code === 'ENOENT' ? 'no such file' : String((err as Error).message) }]);
  }
  return parseScenario(text, path);
}
