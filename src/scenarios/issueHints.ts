import type { z } from 'zod';

/**
 * Messages that say how to fix a scenario: the schema's issues rephrased with what the file
 * probably meant (a key or value at a small edit distance, or the same but for separators and
 * case: `replicationFactor` → `replication.factor`, `ALL` → `all`), and where a key that does
 * not belong here does belong (`min.insync.replicas` under a topic → under its `config`).
 * The JSON Schema (`kafkasim schema`) is the map of which keys go where.
 */

/** The parts of a JSON Schema node these hints read. */
export interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly prefixItems?: readonly SchemaNode[];
  readonly oneOf?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
  readonly const?: unknown;
}

type Path = readonly PropertyKey[];

// ------------------------------------------------------------------ did you mean

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

/** A name without case or separators: `replicationFactor`, `replication_factor` and `replication.factor` are the same. */
function folded(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The candidate `input` most probably meant, or undefined: one equal but for case and
 * separators, else the nearest within a few edits (fewer for short words).
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const same = candidates.find((c) => folded(c) === folded(input) && folded(c) !== '');
  if (same !== undefined) return same;
  const limit = Math.min(4, Math.max(1, Math.floor(input.length / 4)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = Math.min(editDistance(input.toLowerCase(), c.toLowerCase()), editDistance(folded(input), folded(c)));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "x"?`, or '' when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const c = closest(input, candidates);
  return c === undefined ? '' : `: did you mean ${JSON.stringify(c)}?`;
}

// ------------------------------------------------------------------ the schema as a map

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object alternatives of a node; of a discriminated union, those whose discriminator the value matches, if any does. */
function alternatives(node: SchemaNode, value: unknown): SchemaNode[] {
  const alts = node.oneOf ?? node.anyOf;
  if (alts === undefined) return [node];
  const objects = alts.flatMap((a) => alternatives(a, value)).filter((a) => a.properties !== undefined);
  const matching = objects.filter((a) => Object.entries(a.properties ?? {}).some(([k, p]) => p.const !== undefined && isRecord(value) && value[k] === p.const));
  return matching.length > 0 ? matching : objects;
}

function child(node: SchemaNode, key: PropertyKey): SchemaNode | undefined {
  if (typeof key === 'number') return node.items ?? node.prefixItems?.[key];
  return node.properties?.[String(key)];
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const key of path) v = Array.isArray(v) && typeof key === 'number' ? v[key] : isRecord(v) ? v[String(key)] : undefined;
  return v;
}

/** The schema nodes that may describe the value at `path` of the scenario `raw`. */
function nodesAt(root: SchemaNode, raw: unknown, path: Path): SchemaNode[] {
  let nodes = [root];
  for (let i = 0; i < path.length; i++) {
    const here = valueAt(raw, path.slice(0, i));
    nodes = nodes.flatMap((n) => alternatives(n, here)).flatMap((n) => child(n, path[i]) ?? []);
  }
  const value = valueAt(raw, path);
  return nodes.flatMap((n) => alternatives(n, value));
}

/** Every key the object at `path` may have. */
export function keysAt(root: SchemaNode, raw: unknown, path: Path): string[] {
  return [...new Set(nodesAt(root, raw, path).flatMap((n) => Object.keys(n.properties ?? {})))];
}

const placesCache = new WeakMap<SchemaNode, Map<string, string[]>>();

/** Where each key of the schema may be written, as readable paths: `topics[N].config`, `clients[N].config (a producer)`. */
function placesOfKeys(root: SchemaNode): Map<string, string[]> {
  const known = placesCache.get(root);
  if (known !== undefined) return known;
  const places = new Map<string, string[]>();
  placesCache.set(root, places);
  const visit = (node: SchemaNode, where: string, kind: string): void => {
    for (const alt of alternatives(node, undefined)) {
      const discriminator = Object.values(alt.properties ?? {}).find((p) => typeof p.const === 'string')?.const;
      const label = typeof discriminator === 'string' && where.startsWith('clients') ? discriminator : kind;
      for (const [key, p] of Object.entries(alt.properties ?? {})) {
        const place = `${where === '' ? 'the top level' : where}${label === '' ? '' : ` (a ${label})`}`;
        const list = places.get(key) ?? [];
        if (!list.includes(place)) places.set(key, [...list, place]);
        visit(p, where === '' ? key : `${where}.${key}`, label);
      }
      if (alt.items !== undefined) visit(alt.items, `${where}[N]`, label);
    }
  };
  visit(root, '', '');
  return places;
}

// ------------------------------------------------------------------ messages

/** A zod issue as a message that says how to fix it; `raw` is the scenario as written. */
export function hintedMessages(issue: z.core.$ZodIssue, raw: unknown, root: SchemaNode): { path: Path; message: string }[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownKeyMessage(key, issue.path, raw, root) }));
    case 'invalid_value':
      return [{ path: issue.path, message: /^Invalid (option|input)/.test(issue.message) ? notOneOf(valueAt(raw, issue.path), issue.values) : issue.message }];
    case 'invalid_union':
      return [{ path: issue.path, message: unionMessage(issue, raw) }];
    default:
      return [{ path: issue.path, message: issue.message }];
  }
}

function unknownKeyMessage(key: string, path: Path, raw: unknown, root: SchemaNode): string {
  const here = keysAt(root, raw, path);
  const colon = /^([^:\s]+):(\S.*)$/.exec(key);
  if (colon !== null && (here.includes(colon[1]) || keysAt(root, raw, [...path, 'config']).includes(colon[1]))) {
    return `unknown key "${key}": YAML needs a space after the colon, as ${colon[1]}: ${colon[2]}`;
  }
  if (/^\s*\d+\s*\)$/.test(key)) return `unknown key "${key}": the end of a target cut at its comma; quote the target, as "member(ID, N)"`;
  if (here.includes('config') && keysAt(root, raw, [...path, 'config']).includes(key)) return `"${key}" is a setting: it belongs under ${formatKeyPath([...path, 'config'])}, as config: { ${key}: … }`;
  const near = closest(key, here);
  if (near !== undefined) return `unknown key "${key}": did you mean "${near}"?`;
  const places = placesOfKeys(root);
  const exact = places.get(key);
  if (exact !== undefined) return `"${key}" does not go here: it belongs under ${exact.slice(0, 3).join(', or under ')}`;
  const far = closest(key, [...places.keys()]);
  if (far !== undefined) return `unknown key "${key}": did you mean "${far}"? It belongs under ${(places.get(far) ?? []).slice(0, 3).join(', or under ')}`;
  return here.length <= 16 ? `unknown key "${key}"; the keys here are ${here.join(', ')}` : `unknown key "${key}" (kafkasim schema lists the keys of every section)`;
}

/** `topics[0].config`. */
function formatKeyPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function notOneOf(value: unknown, allowed: readonly unknown[]): string {
  const values = [...new Set(allowed.map((v) => String(v)))];
  const shown = value === undefined ? 'nothing' : JSON.stringify(value);
  return `${shown} is not one of ${values.join(', ')}${typeof value === 'string' ? didYouMean(value, values) : ''}`;
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion, raw: unknown): string {
  const value = valueAt(raw, issue.path);
  if (issue.discriminator !== undefined && 'options' in issue) {
    const options = issue.options ?? [];
    const name = issue.discriminator;
    if (value === undefined) return `missing ${name}: one of ${options.map(String).join(', ')}`;
    return `${name} ${notOneOf(value, options)}`;
  }
  const values = issue.errors.flat().flatMap((e) => (e.code === 'invalid_value' ? e.values : []));
  return values.length > 0 ? notOneOf(value, values) : issue.message;
}
