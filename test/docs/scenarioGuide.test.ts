import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../helpers/cli.js';
import { STARTER_PATH } from '../../src/cli/commands/init.js';
import { BROKER_SETTINGS } from '../../src/nodes/config/brokerSettings.js';
import { TOPIC_SETTINGS } from '../../src/nodes/config/topicSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../../src/nodes/config/clientSettings.js';
import { CHECK_KINDS } from '../../src/scenarios/schema.js';

const read = (path: string): string => readFileSync(`${repoRoot}${path}`, 'utf8');

describe('docs/scenarios.md and docs/glossary.md', () => {
  const guide = read('docs/scenarios.md');

  it('shows the scenario kafkasim init writes, as it writes it', () => {
    expect(guide).toContain(readFileSync(STARTER_PATH, 'utf8'));
  });

  it('lists every Kafka setting modelled, every checker and every fault action, and links the fidelity table', () => {
    for (const settings of [BROKER_SETTINGS, TOPIC_SETTINGS, PRODUCER_SETTINGS, CONSUMER_SETTINGS, PROCESSOR_SETTINGS]) {
      for (const name of Object.keys(settings)) expect(guide, name).toContain(`| \`${name}\` |`);
    }
    for (const kind of CHECK_KINDS) expect(guide, kind).toContain(`\`${kind}\``);
    for (const action of ['crash', 'restart', 'shutdown', 'pause', 'partition', 'heal', 'degrade', 'clock', 'disk']) expect(guide).toContain(`| \`${action}\` |`);
    expect(guide).toContain('(fidelity.md)');
    expect(guide).toContain('target: "member(billing, 2)"');
  });

  it('defines each term of the output, and says that "up to N" excludes N', () => {
    const glossary = read('docs/glossary.md');
    for (const term of ['ISR', 'ELR', 'High watermark', 'Log end', 'Leader epoch', 'Committed', 'Acknowledged', 'Indeterminate', '`p1#N@O`']) expect(glossary, term).toMatch(new RegExp(`\\*\\*[^*]*${term.replace(/[()#@`]/g, '.')}`));
    expect(glossary).toMatch(/up to N.*N itself is not included/s);
  });

  it("is linked from the README's first screen", () => {
    const firstScreen = read('README.md').split('\n').slice(0, 30).join('\n');
    expect(firstScreen).toContain('(docs/scenarios.md)');
    expect(firstScreen).toContain('(docs/glossary.md)');
  });
});
