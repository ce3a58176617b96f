#!/usr/bin/env node
// The playground's screenshot in the README (docs/playground.png): acks1-leader-failover at
// t=14.075s, when broker-1 is back with the acknowledged records its successor never had.
// Needs the built site (npm run build:web) and chromium (/usr/bin/chromium).
//
//   node scripts/playgroundScreenshot.mjs [--out docs/playground.png]
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { serveSite } from '../dist/cli/commands/play.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const i = process.argv.indexOf('--out');
const out = i < 0 ? `${root}docs/playground.png` : process.argv[i + 1];
const { server, url } = await serveSite(`${root}dist/playground`, 0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${url}#lesson=acks1-leader-failover&seed=3&t=14075`);
  await page.waitForSelector('#fingerprint', { timeout: 300_000 });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
}
