import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium, for the report's browser test: installed here when missing (the test
 * machines run as root with Debian's package archive reachable), so a fresh clone needs no
 * manual step.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { encoding: 'utf8', timeout: 240_000 });
  if (!existsSync(CHROMIUM)) {
    const update = spawnSync('apt-get', ['update'], { encoding: 'utf8', timeout: 240_000 });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { encoding: 'utf8', timeout: 240_000 });
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is missing and could not be installed: ${install.stderr || ''}${update.stderr || ''}`);
  }
  return CHROMIUM;
}
