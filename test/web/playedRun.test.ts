import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { libraryEntries } from '../../src/scenarios/library.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { renderReport, reportInput } from '../../src/scenarios/report.js';
import { watchRun } from '../../src/scenarios/clusterState.js';
import { time } from '../../src/sim/time.js';
import { playScenario } from '../../src/web/playedRun.js';
import { handleRequest } from '../../src/web/handleRequest.js';
import { defineOnFirstUse, glossaryTerms } from '../../src/web/glossary.js';
import { twinsOf } from '../../src/web/lessons.js';
import { withFault, type HandFault } from '../../src/web/scenarioEdit.js';
import { docsText } from '../../src/web/docsText.js';
import { spawn } from 'node:child_process';
import { cli, repoRoot } from '../helpers/cli.js';

const lesson = (name: string) => {
  const e = libraryEntries().find((x) => x.name === name);
  if (e === undefined) throw new Error(name);
  return e;
};

describe('playScenario (what the playground shows of a run)', () => {
  const entry = lesson('idempotent-leader-change');
  const played = playScenario(entry.scenario, { frameEveryMs: 250 });

  it('is the run kafkasim run makes: same fingerprint and violations', () => {
    const r = runScenario(entry.scenario);
    expect(played.fingerprint).toBe(r.fingerprint);
    expect(played.violations.map((v) => [v.kind, v.message])).toEqual(r.violations.map((v) => [v.kind, v.message]));
    expect(played.stats.events).toBe(r.stats.events);
  });

  it('has a frame per grid moment, each the state kafkasim state --at reads there', () => {
    expect(played.frames.length).toBe(Math.ceil(played.endMs / 250) + 1);
    expect(played.frames.at(-1)?.atMs).toBe(played.endMs);
    const watched = watchRun(entry.scenario);
    for (const ms of [0, 2500, 7000, 12250, played.endMs]) expect(played.frames[Math.ceil(ms / 250)]).toEqual(watched.stateAt(time(ms * 1000)));
  });

  it("draws the report's space-time diagram: the very SVG kafkasim report puts in its page", () => {
    const r = runScenario(entry.scenario, { keepTrace: true });
    expect(played.diagram).toMatch(/^<svg [^>]*id="diagram"/);
    expect(renderReport(reportInput(entry.scenario, r, entry.name))).toContain(played.diagram);
  });

  it("tells each violation's story as explain does, ending with the violation", () => {
    expect(played.violations.length).toBeGreaterThan(0);
    for (const v of played.violations) {
      expect(v.story.at(-1)?.text).toContain(v.kind);
      expect(v.atMs).toBeGreaterThanOrEqual(0);
      expect(v.atMs).toBeLessThanOrEqual(played.endMs);
    }
  });
});

describe('the records in question', () => {
  it("are lost-write's acknowledged offsets, dropped by each replica at its truncation below them", () => {
    const unclean = lesson('unclean-election');
    const r = runScenario(unclean.scenario, { keepTrace: true });
    const played = playScenario(unclean.scenario, { frameEveryMs: 1000 });
    const lost = played.violations.find((v) => v.kind === 'lost-write');
    const offsets = (r.violations.find((v) => v.kind === 'lost-write')?.details.ackedOffsets ?? []) as number[];
    // The first leader, which truncates, is broker-1 with placement forked by topic (was broker-2).
    expect(lost?.records).toEqual({ partition: 'orders-0', from: Math.min(...offsets), to: Math.max(...offsets) + 1, droppedAtMs: { 1: expect.any(Number) }, heldMs: expect.any(Object) });
    const truncation = (r.simulation.memory?.records ?? []).find((x) => x.kind === 'replica.truncate' && x.broker === 1 && x.partition === 'orders-0');
    expect(lost?.records?.droppedAtMs[1]).toBe((truncation?.at ?? 0) / 1000);
    // broker-1 held the originals from its appends as leader until that truncation.
    expect(lost?.records?.heldMs[1].at(-1)?.toMs).toBe((truncation?.at ?? 0) / 1000);
  });
});

describe('the worker protocol, run in Node', () => {
  it('lists every lesson with its text and a twin from docs/lessons.md', () => {
    const reply = handleRequest({ id: 1, kind: 'library' });
    if (reply.kind !== 'library') throw new Error(reply.kind);
    expect(reply.lessons.map((l) => l.name)).toEqual(libraryEntries().map((e) => e.name));
    const acks1 = reply.lessons.find((l) => l.name === 'acks1-leader-failover');
    expect(acks1?.twin).toBe('acks-all-leader-failover');
    expect(reply.lessons.find((l) => l.name === 'acks-all-leader-failover')?.twin).toBe('acks1-leader-failover');
    expect(reply.glossary.map((g) => g.term)).toEqual(expect.arrayContaining(['ISR (in-sync replicas)', 'High watermark (HW)', 'Committed']));
  });

  it('answers bad scenario text with the schema messages the CLI prints', () => {
    const bad = readFileSync(lesson('unclean-election').path, 'utf8').replace('brokers: 3', 'brokers: three');
    const reply = handleRequest({ id: 2, kind: 'play', yaml: bad, source: 'scenario.yaml' });
    expect(reply.kind).toBe('invalid');
    let cliMessage = '';
    try {
      parseScenario(bad, 'scenario.yaml');
    } catch (err) {
      cliMessage = (err as Error).message;
    }
    expect(reply.kind === 'invalid' && reply.message).toBe(cliMessage);
    expect(cliMessage).toMatch(/cluster\.brokers/);
  });

  it('adds a fault made by hand as a scenario entry that loads and keeps the rest', () => {
    const arbFault: fc.Arbitrary<HandFault> = fc.oneof(
      fc.record({ atMs: fc.nat(29_999), action: fc.constantFrom('crash' as const, 'restart' as const, 'isolate' as const), target: fc.constantFrom('broker-1', 'broker-2', 'controller', 'producer-p1') }),
      fc.record({ atMs: fc.nat(29_999), action: fc.constant('pause' as const), target: fc.constant('broker-3'), forMs: fc.integer({ min: 1, max: 20_000 }) }),
      fc.record({ atMs: fc.nat(29_999), action: fc.constant('heal' as const) }),
      fc.record({ atMs: fc.nat(29_999), action: fc.constant('partition' as const), groups: fc.constant([['broker-1'], ['broker-2', 'broker-3']]) }),
    );
    const texts = [readFileSync(lesson('unclean-election').path, 'utf8'), readFileSync(lesson('acks-all-nemesis').path, 'utf8')];
    fc.assert(
      fc.property(fc.constantFrom(...texts), arbFault, (text, fault) => {
        const before = parseScenario(text);
        const after = parseScenario(withFault(text, fault));
        expect(after.faults.length).toBe(before.faults.length + 1);
        expect(after.faults.slice(0, -1)).toEqual(before.faults);
        const added = after.faults.at(-1);
        expect(added?.at).toBe(fault.atMs * 1000);
        expect(added?.action).toBe(fault.action === 'isolate' ? 'partition' : fault.action);
        expect({ ...after, faults: [] }).toEqual({ ...before, faults: [] });
      }),
      { numRuns: 40 },
    );
  });
});

describe('the glossary and the twins', () => {
  const docs = docsText();
  const terms = glossaryTerms(docs.glossary);

  it('defines each term once, where it first appears, and leaves the text as it was', () => {
    const texts = ['the ISR of orders-0 shrank to [2]', 'its high watermark was 1396 and the ISR grew', 'p1 was told p1#1397@1401 succeeded; epoch 1'];
    const pieces = defineOnFirstUse(texts, terms);
    expect(pieces.map((p) => p.map((x) => (typeof x === 'string' ? x : x.text)).join(''))).toEqual(texts);
    const defined = pieces.flat().filter((x) => typeof x !== 'string').map((x) => (typeof x === 'string' ? '' : x.term));
    expect(defined).toEqual(['ISR (in-sync replicas)', 'High watermark (HW)', 'Message ids: p1#N and p1#N@O', 'Leader epoch']);
  });

  it('finds a twin for every lesson the docs table gives one', () => {
    const twins = twinsOf(docs.lessons);
    const names = new Set(libraryEntries().map((e) => e.name));
    expect(twins.size).toBeGreaterThan(20);
    for (const [a, b] of twins) expect([a, b].every((n) => names.has(n))).toBe(true);
  });

  it('kafkasim play serves the built site on localhost, and nothing outside it', async () => {
    const child = spawn(process.execPath, [`${repoRoot}dist/cli/main.js`, 'play', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(d));
          if (m !== null) resolve(m[0]);
        });
        child.on('exit', (code) => reject(new Error(`play exited with ${code}`)));
      });
      const index = await fetch(url);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      expect(await index.text()).toContain('<script type="module" src="app.js">');
      expect((await fetch(`${url}worker.js`)).headers.get('content-type')).toContain('javascript');
      expect((await fetch(`${url}..%2F..%2Fpackage.json`)).status).toBe(404);
    } finally {
      child.kill();
    }
  });

  it('kafkasim play refuses a bad port with exit 2 and no stack', () => {
    const r = cli('play', '--port', 'abc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must be a whole number');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
