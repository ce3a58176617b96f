#!/usr/bin/env node
// Every library lesson's fingerprint and violation kinds, compared with the committed record
// (test/fixtures/lesson-fingerprints.json). A refactor or a speed-up must leave them all
// unchanged; a change of behaviour on purpose updates the record (--update) and says which
// lessons moved and why in its commit message.
//
//   node scripts/lessonFingerprints.mjs                 compare every lesson (exit 1 on a difference)
//   node scripts/lessonFingerprints.mjs --update        write the record anew (with --only: replace those lessons' runs)
//   node scripts/lessonFingerprints.mjs --only a,b      only these lessons
//   node scripts/lessonFingerprints.mjs --seeds 1,2     these seeds (default: the lesson's own, and 2 more)
//
// It runs the compiled package (npm run build first, or npm ci).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { libraryEntries } from '../dist/scenarios/library.js';
import { runScenario } from '../dist/scenarios/runner.js';

const RECORD = fileURLToPath(new URL('../test/fixtures/lesson-fingerprints.json', import.meta.url));

function arg(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** The seeds each lesson runs: its own, and the two after it, so paths off the lesson's own seed count too. */
function seedsOf(entry, list) {
  return list === undefined ? [entry.scenario.seed, entry.scenario.seed + 1, entry.scenario.seed + 2] : list;
}

const only = arg('--only')?.split(',');
const seedList = arg('--seeds')?.split(',').map(Number);
const update = process.argv.includes('--update');
const entries = libraryEntries().filter((e) => only === undefined || only.includes(e.name));
if (only !== undefined) for (const name of only) if (!entries.some((e) => e.name === name)) {
  console.error(`lessonFingerprints: no lesson named ${name}`);
  process.exit(2);
}

const recorded = update ? {} : JSON.parse(readFileSync(RECORD, 'utf8'));
const now = {};
let differences = 0;
for (const entry of entries) {
  for (const seed of seedsOf(entry, seedList)) {
    const r = runScenario(entry.scenario, { seed });
    const kinds = [...new Set(r.violations.map((v) => v.kind))].sort();
    const key = `${entry.name}#${seed}`;
    now[key] = { fingerprint: r.fingerprint, kinds };
    if (update) continue;
    const was = recorded[key];
    if (was === undefined) {
      console.log(`${key}: not in the record (run with --update to add it)`);
      differences++;
    } else if (was.fingerprint !== r.fingerprint || was.kinds.join(',') !== kinds.join(',')) {
      console.log(`${key}: fingerprint ${was.fingerprint} -> ${r.fingerprint}, kinds [${was.kinds.join(', ')}] -> [${kinds.join(', ')}]`);
      differences++;
    }
  }
}
if (update) {
  // With --only or --seeds, the other lessons' runs stay as recorded, and the chosen
  // lessons' runs are replaced; without them, the record is written anew.
  const partial = only !== undefined || seedList !== undefined;
  const old = partial ? Object.entries(JSON.parse(readFileSync(RECORD, 'utf8'))) : [];
  // In library order, as a whole --update writes it.
  const record = {};
  for (const { name } of libraryEntries()) {
    const chosen = entries.some((e) => e.name === name);
    for (const [key, value] of chosen ? Object.entries(now) : old) if (key.startsWith(`${name}#`)) record[key] = value;
  }
  writeFileSync(RECORD, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`wrote ${Object.keys(now).length} runs to ${RECORD}${partial ? ` (${Object.keys(record).length} in all)` : ''}`);
} else {
  console.log(`${Object.keys(now).length} runs compared: ${differences === 0 ? 'all the same' : `${differences} differ`}`);
  process.exit(differences === 0 ? 0 : 1);
}
