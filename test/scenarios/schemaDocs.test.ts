import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/scenarios/schema.js';
import { KAFKA_DOCS, NOT_KAFKA_CONFIGS } from '../../src/scenarios/kafkaDocs.js';
import { BROKER_SETTINGS } from '../../src/nodes/config/brokerSettings.js';
import { TOPIC_SETTINGS } from '../../src/nodes/config/topicSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../../src/nodes/config/clientSettings.js';
import type { Settings } from '../../src/nodes/config/setting.js';

interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly pattern?: string;
  readonly enum?: unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly properties?: Record<string, Node>;
  readonly [key: string]: unknown;
}

/** Every node of the JSON Schema with the key it is found under ('' for list items and alternatives) and its path. */
function* nodes(node: unknown, path: string, key: string): Generator<{ node: Node; path: string; key: string }> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* nodes(n, `${path}[${i}]`, key);
    return;
  }
  const n = node as Node;
  yield { node: n, path, key };
  for (const [k, v] of Object.entries(n)) {
    if (k === 'properties') for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) yield* nodes(pv, `${path}.${pk}`, pk);
    else if (typeof v === 'object') yield* nodes(v, `${path}/${k}`, key);
  }
}

/** Every property (a key a scenario may write), with its path. */
function properties(): { node: Node; path: string; key: string }[] {
  const out: { node: Node; path: string; key: string }[] = [];
  for (const entry of nodes(scenarioJsonSchema(), '', '')) {
    for (const [k, v] of Object.entries(entry.node.properties ?? {})) out.push({ node: v, path: `${entry.path}.${k}`, key: k });
  }
  return out;
}

describe('the JSON Schema describes itself', () => {
  it('gives every key of kafkasim schema a description', () => {
    const all = properties();
    expect(all.length).toBeGreaterThan(150);
    expect(all.filter((p) => typeof p.node.description !== 'string' || p.node.description.trim() === '').map((p) => p.path)).toEqual([]);
  });

  it('gives durations, rates, ranges and targets patterns: the only bare strings are free text', () => {
    const bare = [...nodes(scenarioJsonSchema(), '', '')].filter(({ node }) => node.type === 'string' && node.pattern === undefined && node.enum === undefined && node.const === undefined);
    const freeText = new Set(['name', 'description', 'racks', 'file', 'where']);
    expect(bare.filter((b) => !freeText.has(b.key)).map((b) => b.path)).toEqual([]);
    const durations = properties().filter((p) => p.node.description?.includes('A duration with its unit'));
    expect(durations.length).toBeGreaterThan(20);
    for (const d of durations) expect(d.node.pattern, d.path).toBeDefined();
    const at = new RegExp(durations.find((d) => d.key === 'at')?.node.pattern ?? '$^');
    expect(['30s', '1.5s', '250us', '2m'].every((t) => at.test(t))).toBe(true);
    expect(['30', '30 seconds', 's'].some((t) => at.test(t))).toBe(false);
  });

  it("quotes Kafka's documentation of every Kafka setting, citing it, with its unit, values and default", () => {
    const root = scenarioJsonSchema() as Node;
    const props = (n: unknown): Record<string, Node> => (n as Node).properties ?? {};
    const clients = (props(root).clients.items as { oneOf: Node[] }).oneOf;
    const configs: [Settings, Record<string, Node>][] = [
      [BROKER_SETTINGS, props(props(root).cluster.properties?.config)],
      [TOPIC_SETTINGS, props(props(props(root).topics.items).config)],
      [PRODUCER_SETTINGS, props(props(clients[0]).config)],
      [CONSUMER_SETTINGS, props(props(clients[1]).config)],
      [PROCESSOR_SETTINGS, props(props(clients[2]).config)],
    ];
    for (const [settings, described] of configs) {
      expect(Object.keys(described).length).toBeGreaterThan(0);
      for (const [name, setting] of Object.entries(settings)) {
        const text = described[name]?.description ?? '';
        if (!name.startsWith('sim.') && NOT_KAFKA_CONFIGS[name] === undefined) {
          const kafka = KAFKA_DOCS[name];
          expect(kafka, `${name} has no Kafka doc in src/scenarios/kafkaDocs.ts`).toBeDefined();
          expect(text).toContain(`"${kafka?.doc ?? ''}" (${name}, ${kafka?.source ?? ''})`);
        }
        if ('unit' in setting && setting.unit !== undefined) expect(text, name).toContain(`Unit: ${setting.unit}.`);
        if (setting.default !== undefined) expect(text, name).toContain(`Default: ${JSON.stringify(setting.default)}`);
        if (setting.type === 'enum') expect(text, name).toMatch(/One of: /);
      }
    }
    // No quotation is left over from a setting that is gone.
    const declared = new Set(configs.flatMap(([s]) => Object.keys(s)));
    expect(Object.keys(KAFKA_DOCS).filter((k) => !declared.has(k))).toEqual([]);
  });

  it('describes each default the way the schema applies it', () => {
    const linger = properties().find((p) => p.key === 'linger.ms');
    expect(linger?.node.default).toBe(5);
    expect(linger?.node.description).toContain('ProducerConfig.LINGER_MS_DOC');
    expect(linger?.node.description).toContain('0.10-3.9: 0; 4.0 and later: 5 (KIP-1030)');
  });
});
