import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { cli } from '../helpers/cli.js';
import { ensureChromium } from '../helpers/browser.js';

const dir = mkdtempSync(join(tmpdir(), 'kafkasim-report-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

/** Loads a report in headless chromium: its console errors, and how many colours its diagram's screenshot holds. */
async function inspect(file: string): Promise<{ errors: string[]; colours: number; scripts: number; title: string }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`file://${file}`);
  const png = await page.locator('#diagram').screenshot();
  // Count the colours of the screenshot in the page itself: a blank diagram has one or two.
  // (Browser code as text: this file is typed for Node, without the DOM's types.)
  const colours = (await page.evaluate(`(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  })('${png.toString('base64')}')`)) as number;
  const scripts = await page.locator('script').count();
  const title = await page.title();
  await page.close();
  return { errors, colours, scripts, title };
}

describe('kafkasim report', () => {
  it('writes one self-contained page that loads without errors and draws a diagram', async () => {
    const file = join(dir, 'acks1.html');
    const r = cli('report', 'acks1-leader-failover', '--out', file);
    expect(r.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(script|link|iframe)\b/i); // nothing to load, nothing to run
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toContain('lost-write');
    expect(html).toContain('kafkasim run acks1-leader-failover --seed 3');
    const page = await inspect(file);
    expect(page.errors).toEqual([]);
    expect(page.colours).toBeGreaterThan(20);
    expect(page.title).toContain('acks1-leader-failover');
  });

  it('escapes every string that comes from the scenario file', async () => {
    const scenario = join(dir, 'evil.yaml');
    const tiny = readFileSync(fileURLToPath(new URL('../fixtures/tiny-lossy.yaml', import.meta.url)), 'utf8');
    writeFileSync(scenario, tiny.replace(/^name: .*$/m, 'name: "evil<script>alert(1)</script>"').replace(/^description: .*$/m, 'description: "<img src=x onerror=alert(2)> & \\"quotes\\""'));
    const file = join(dir, 'evil.html');
    expect(cli('report', scenario, '--seed', '3', '--out', file).code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('evil&lt;script&gt;alert(1)&lt;/script&gt;');
    const page = await inspect(file);
    expect(page.errors).toEqual([]);
    expect(page.scripts).toBe(0);
  });
});
