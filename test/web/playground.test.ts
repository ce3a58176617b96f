import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveSite } from '../../src/cli/commands/play.js';
import { watchRun, type ClusterState } from '../../src/scenarios/clusterState.js';
import { libraryEntries } from '../../src/scenarios/library.js';
import { time } from '../../src/sim/time.js';
import { cli, repoRoot } from '../helpers/cli.js';
import { ensureChromium } from '../helpers/browser.js';

/**
 * The playground in headless chromium, served as `kafkasim play` serves it (dist/playground, built
 * by test/globalSetup.ts). One browser for the whole file; the engine runs in the page's
 * Web Worker, so every run here is the browser's.
 */
const DEEP = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
const dir = mkdtempSync(join(tmpdir(), 'kafkasim-play-'));
const record = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/lesson-fingerprints.json'), 'utf8')) as Record<string, { fingerprint: string; kinds: string[] }>;
let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  ({ server, url } = await serveSite(join(repoRoot, 'dist/playground'), 0));
  browser = await chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page at `hash`, its console errors collected, once its first run is shown. */
async function open(hash = ''): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}${hash}`);
  await settled(page);
  return { page, errors };
}

/** Waits until no run is being simulated and one is shown. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(`document.querySelector('#fingerprint') !== null && !document.querySelector('[role=status]').textContent.startsWith('simulating')`, undefined, { timeout: 120_000 });
}

async function shownMs(page: Page): Promise<number> {
  return Number(await page.locator('#now').getAttribute('data-ms'));
}

/** The partitions table as the page shows it. */
async function partitionRows(page: Page): Promise<{ name: string; leader: string; epoch: string; isr: string; hw: string }[]> {
  return page.locator('tr[data-partition]').evaluateAll((rows) =>
    rows.map((r) => {
      const d = (r as unknown as { dataset: Record<string, string> }).dataset;
      return { name: d.partition, leader: d.leader, epoch: d.epoch, isr: d.isr, hw: d.hw };
    }),
  );
}

describe('the playground', () => {
  it('loads without console errors, plays acks1-leader-failover and shows its lost writes', async () => {
    const { page, errors } = await open();
    expect(await page.locator('#lesson').inputValue()).toBe('acks1-leader-failover');
    // With 3 controllers and placement forked by topic the run has two lost-writes; the first is chosen.
    expect(await page.locator('#violations [data-kind="lost-write"].chosen').textContent()).toMatch(/lost-write.*acknowledged messages are not in the committed log/);
    expect(await page.locator('#fingerprint').textContent()).toBe(record['acks1-leader-failover#3'].fingerprint);
    expect(await page.locator('#twin').textContent()).toContain('acks-all-leader-failover');
    await page.locator('#play').click();
    await page.waitForFunction(`Number(document.querySelector('#now').dataset.ms) >= 1000`, undefined, { timeout: 20_000 });
    await page.locator('#play').click();
    expect(await page.locator('#play').textContent()).toBe('play');
    // The lost records (in orders-2 since placement is forked by topic) are marked on the replica
    // that still holds them, broker-3, the crashed leader back at 10.526 s, until it truncates
    // them away (14.135 s, since a restarted broker replays its own metadata log; 14.608 s
    // before); not on broker-2, the new leader, which writes other records at those offsets
    // from 14.014 s. (It was broker-1 at 14.084-14.116 s with one controller.)
    await page.locator('#scrub').fill('14100');
    expect(await page.locator('.strip .question').evaluateAll((els) => els.map((e) => e.parentElement?.parentElement?.getAttribute('data-broker')))).toEqual(['3']);
    await page.locator('#scrub').fill('14200');
    expect(await page.locator('.strip .question').count()).toBe(0);
    // The narration follows the timeline: at the end, every line of the story has happened.
    await page.locator('#scrub').fill(String(await page.locator('#scrub').getAttribute('max')));
    expect(await page.locator('#narration li.future').count()).toBe(0);
    expect(await page.locator('#narration dfn.term').count()).toBeGreaterThan(2);
    // The report's space-time diagram, drawn by the same code; a click on one of its moments jumps there.
    expect(await page.locator('section.diagram svg#diagram').count()).toBe(1);
    const dot = page.locator('section.diagram a[href="#v1-m3"] circle');
    const title = (await dot.locator('title').textContent()) ?? '';
    await dot.dispatchEvent('click');
    const seconds = Number(/^t=(\d+\.\d+)s/.exec(title)?.[1]);
    const step = Number(await page.locator('#scrub').getAttribute('step'));
    expect(await shownMs(page)).toBe(Math.ceil((seconds * 1000) / step) * step);
    expect(new URL(page.url()).hash).toContain('lesson=acks1-leader-failover');
    // A screenshot of the cluster is not blank.
    const png = await page.locator('section.cluster').screenshot();
    expect(png.length).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows at a scrubbed moment the leader, ISR and HW that kafkasim state --at prints', async () => {
    const { page } = await open('#lesson=unclean-election-off&seed=1&t=16000');
    expect(await shownMs(page)).toBe(16_000);
    const rowsOf = (state: ClusterState) => state.partitions.map((p) => ({ name: p.name, leader: p.leader === null ? 'none' : String(p.leader), epoch: String(p.leaderEpoch), isr: p.isr.join(','), hw: String(p.replicas.find((r) => r.broker === p.leader)?.highWatermark ?? '') }));
    const state = JSON.parse(cli('state', 'unclean-election-off', '--at', '16s', '--json').stdout) as ClusterState;
    expect(await partitionRows(page)).toEqual(rowsOf(state));
    for (const b of state.brokers) expect(await page.locator(`.node[data-node="${b.node}"]`).getAttribute('data-state')).toBe(b.state);
    // Scrubbing elsewhere shows that moment's cluster (read here in-process, as the CLI reads it).
    await page.locator('#scrub').fill('36000');
    const entry = libraryEntries().find((e) => e.name === 'unclean-election-off');
    expect(await partitionRows(page)).toEqual(rowsOf(watchRun(entry!.scenario).stateAt(time(36_000_000))));
    await page.close();
  });

  it('is driven from the keyboard', async () => {
    const { page } = await open('#lesson=kip101-leader-epoch&seed=1');
    const step = Number(await page.locator('#scrub').getAttribute('step'));
    await page.locator('#scrub').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await shownMs(page)).toBe(2 * step);
    await page.locator('#step').focus();
    await page.keyboard.press('Enter');
    expect(await shownMs(page)).toBe(3 * step);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    expect(await shownMs(page)).toBe(2 * step);
    await page.locator('#next-event').focus();
    await page.keyboard.press('Space');
    expect(await shownMs(page)).toBeGreaterThan(2 * step);
    await page.locator('#play').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#play').textContent()).toBe('pause');
    await page.keyboard.press('Enter');
    expect(await page.locator('#play').textContent()).toBe('play');
    await page.close();
  });

  it('turns a crash clicked at a moment into the scenario: the same violations and fingerprint as the CLI run of the downloaded YAML, and a shared URL replays it', async () => {
    const { page, errors } = await open('#lesson=unclean-election-off&seed=1');
    await page.locator('#scrub').fill('9000');
    await page.locator('.node[data-node="broker-2"] [data-fault="crash"]').click();
    await page.waitForFunction(`document.querySelector('#cli-command').textContent.includes('.yaml')`, undefined, { timeout: 60_000 });
    await settled(page);
    expect(await shownMs(page)).toBe(9000);
    expect(await page.locator('.node[data-node="broker-2"]').getAttribute('data-state')).toBe('down');
    const fingerprint = await page.locator('#fingerprint').textContent();
    const kinds = await page.locator('#violations li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(readFileSync(file, 'utf8')).toMatch(/- \{ at: 9s, action: crash, target: broker-2 \}/);
    const seed = /--seed (\d+)/.exec((await page.locator('#cli-command').textContent()) ?? '')?.[1] ?? '';
    const r = JSON.parse(cli('run', file, '--seed', seed, '--json').stdout) as { fingerprint: string; violations: { kind: string }[] };
    expect(fingerprint).toBe(r.fingerprint);
    expect(kinds).toEqual(r.violations.map((v) => v.kind));
    // The URL carries the scenario and seed: a fresh page reproduces the run.
    const shared = await open(new URL(page.url()).hash);
    expect(await shared.page.locator('#fingerprint').textContent()).toBe(fingerprint);
    expect(await shared.page.locator('#lesson').inputValue()).toBe('');
    expect(errors).toEqual([]);
    await shared.page.close();
    await page.close();
  });

  it('checks your own YAML with the schema and the messages of the CLI', async () => {
    const { page } = await open('#lesson=kip101-leader-epoch&seed=1');
    await page.locator('#edit').click();
    const bad = (await page.locator('#yaml').inputValue()).replace(/brokers: \d+/, 'brokers: three');
    await page.locator('#yaml').fill(bad);
    await page.locator('#run-yaml').click();
    await page.locator('#problem').waitFor();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, bad);
    const r = cli('run', file);
    expect(r.code).toBe(2);
    expect(await page.locator('#problem').textContent()).toBe(r.stderr.trim().replace(/^error: /, '').replaceAll(file, 'scenario.yaml'));
    await page.close();
  });

  it(`gives every lesson the fingerprint Node gives it (${DEEP ? 'every lesson and seed of the record' : 'a handful'})`, async () => {
    // A page on a short lesson, so that its own first run is soon out of the worker's way.
    const { page } = await open('#lesson=idempotent-leader-change');
    const keys = DEEP ? Object.keys(record) : ['idempotent-leader-change#2', 'kip279-fast-failovers#1', 'unknown-producer-id#1'];
    for (const key of keys) {
      const [lesson, seed] = key.split('#');
      const reply = (await page.evaluate(`window.__kafkasim.request({ kind: 'fingerprint', lesson: ${JSON.stringify(lesson)}, seed: ${Number(seed)} })`)) as { fingerprint: string; kinds: string[] };
      expect({ key, fingerprint: reply.fingerprint, kinds: reply.kinds }).toEqual({ key, ...record[key] });
    }
    await page.close();
  }, DEEP ? 3_600_000 : 120_000);
});
