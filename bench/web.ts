/**
 * Playground benchmark: the same lesson (acks1-leader-failover, 60 simulated seconds: 30 s
 * and a 30 s drain) run in Node and in chromium's Web Worker (the playground's engine), in
 * one process; the ratio of their speeds (target: the browser at least 0.5 of Node), the
 * bundle's gzipped size (target: under 600 KB) and the time from navigation to the first
 * interactive frame (the default lesson simulated and drawn, controls live). Best of 3 after
 * a warm-up on each side; the fingerprints must agree.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadScenario } from '../src/scenarios/loader.js';
import { runScenario } from '../src/scenarios/runner.js';
import { serveSite } from '../src/cli/commands/play.js';
import { parseBenchArgs, printTable, round, timeIt } from './harness.js';

const LESSON = 'acks1-leader-failover';

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const site = `${root}dist/playground`;
  execFileSync(process.execPath, [`${root}scripts/buildWeb.mjs`, '--quiet', '--out', site], { stdio: 'inherit' });
  const gzipped = (JSON.parse(readFileSync(`${site}/sizes.json`, 'utf8')) as { gzipped: number }).gzipped;

  const entry = { scenario: loadScenario(`${root}src/scenarios/library/${LESSON}.yaml`) };
  let nodeFingerprint = '';
  let events = 0;
  runScenario(entry.scenario);
  let nodeS = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    nodeS = Math.min(nodeS, timeIt(() => {
      const r = runScenario(entry.scenario);
      nodeFingerprint = r.fingerprint;
      events = r.stats.events;
    }));
  }

  const { server, url } = await serveSite(site, 0);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    await page.goto(url);
    await page.waitForFunction('window.__kafkasim !== undefined && window.__kafkasim.firstFrameMs !== undefined', undefined, { timeout: 300_000 });
    const firstFrameMs = (await page.evaluate('window.__kafkasim.firstFrameMs')) as number;
    let browserMs = Number.POSITIVE_INFINITY;
    let browserFingerprint = '';
    for (let i = 0; i < 4; i++) {
      const reply = (await page.evaluate(`window.__kafkasim.request({ kind: 'fingerprint', lesson: '${LESSON}' })`)) as { fingerprint: string; wallMs: number };
      browserFingerprint = reply.fingerprint;
      if (i > 0) browserMs = Math.min(browserMs, reply.wallMs);
    }
    if (browserFingerprint !== nodeFingerprint) throw new Error(`fingerprints differ: Node ${nodeFingerprint}, browser ${browserFingerprint}`);
    const ratio = nodeS * 1000 / browserMs;
    console.log(`web: ${LESSON} (60 simulated s, ${events} events), Node vs chromium's worker, best of 3 after a warm-up`);
    printTable([
      ['runtime', 'wall', 'events/s'],
      ['node', `${Math.round(nodeS * 1000)} ms`, Math.round(events / nodeS)],
      ['chromium worker', `${Math.round(browserMs)} ms`, Math.round(events / (browserMs / 1000))],
    ]);
    console.log(`ratio (browser speed / Node speed): ${ratio.toFixed(2)}; bundle ${(gzipped / 1024).toFixed(1)} KB gzipped; first interactive frame ${Math.round(firstFrameMs)} ms after navigation; fingerprint ${nodeFingerprint} in both`);
    if (args.json) console.log(JSON.stringify({ bench: 'web', lesson: LESSON, events, nodeMs: round(nodeS * 1000, 1), browserMs: round(browserMs, 1), ratio: round(ratio, 3), bundleGzippedBytes: gzipped, firstInteractiveFrameMs: Math.round(firstFrameMs), fingerprint: nodeFingerprint }));
  } finally {
    await browser.close();
    server.close();
  }
}
