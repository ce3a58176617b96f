#!/usr/bin/env node
// The swarm: every library lesson under generated fault schedules of every kind, judged by
// what its configuration is designed to survive (src/scenarios/swarm.ts; docs/sweeps.md,
// "The swarm"). `npm run test:swarm` builds first, then runs this.
//
//   npm run test:swarm                                  2 cases per lesson (about a minute)
//   npm run test:swarm -- --seeds 20                    cases 1..20 of every lesson (the full swarm)
//   npm run test:swarm -- --lessons a,b --seeds 5       only these lessons
//   npm run test:swarm -- --lessons a --case 7          replay one case
//   npm run test:swarm -- --json                        one JSON object on stdout
//
// Exit 0 when nothing was found, 1 with findings, 2 on bad arguments.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { libraryEntries } from '../dist/scenarios/library.js';
import { parseScenarioDocument } from '../dist/scenarios/loader.js';
import { runSwarmCase, swarmCase } from '../dist/scenarios/swarm.js';

function usage(message) {
  console.error(`swarm: ${message}`);
  console.error('usage: npm run test:swarm -- [--seeds N] [--case K] [--lessons a,b] [--json]');
  process.exit(2);
}

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a value`);
  return value;
}

function positiveInt(name, text) {
  if (!/^[1-9]\d*$/.test(text)) usage(`${name} takes a positive whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

const known = new Set(['--seeds', '--case', '--lessons', '--json']);
for (const a of process.argv.slice(2)) if (a.startsWith('--') && !known.has(a)) usage(`unknown option ${a}`);
const seedsArg = arg('--seeds');
const caseArg = arg('--case');
if (seedsArg !== undefined && caseArg !== undefined) usage('--seeds and --case do not go together');
const seeds = caseArg !== undefined ? [positiveInt('--case', caseArg)] : Array.from({ length: seedsArg === undefined ? 2 : positiveInt('--seeds', seedsArg) }, (_, i) => i + 1);
const only = arg('--lessons')?.split(',').filter((s) => s !== '');
const json = process.argv.includes('--json');

const entries = libraryEntries().filter((e) => only === undefined || only.includes(e.name));
if (only !== undefined) for (const name of only) if (!entries.some((e) => e.name === name)) usage(`no lesson named ${name} (npx kafkasim list shows them)`);

const log = json ? () => {} : (line) => console.log(line);
const started = Date.now();
const findings = [];
const perLesson = [];
let cases = 0;
let withinDesign = 0;
let totalFaults = 0;
let totalSkipped = 0;
/** How often each kind was found and allowed, and why: what the swarm let pass. */
const allowedTally = new Map();
for (const entry of entries) {
  const lesson = { name: entry.name, raw: parseScenarioDocument(readFileSync(entry.path, 'utf8'), entry.path).raw, scenario: entry.scenario };
  const t0 = Date.now();
  let within = 0;
  let found = 0;
  let generated = 0;
  let skipped = 0;
  for (const k of seeds) {
    const c = swarmCase(lesson, k);
    const outcome = runSwarmCase(lesson, c);
    cases++;
    generated += c.faults.length;
    skipped += outcome.skippedFaults;
    if (outcome.withinDesign) within++;
    for (const a of new Set(outcome.allowed.map((x) => x.replace(/faults? \d+/g, 'a fault')))) allowedTally.set(a, (allowedTally.get(a) ?? 0) + 1);
    for (const f of outcome.findings) {
      found++;
      findings.push({ lesson: entry.name, seed: k, ...f, faults: c.faults, kinds: outcome.kinds, withinDesign: outcome.withinDesign, replay: `npm run test:swarm -- --lessons ${entry.name} --case ${k}` });
    }
  }
  withinDesign += within;
  const ms = Date.now() - t0;
  totalFaults += generated;
  totalSkipped += skipped;
  perLesson.push({ lesson: entry.name, cases: seeds.length, withinDesign: within, faults: generated, skippedFaults: skipped, findings: found, ms });
  log(`${entry.name}: ${seeds.length} cases (${within} within its design), ${generated} faults added (${skipped} did nothing), ${found === 0 ? 'clean' : `${found} findings`}, ${(ms / 1000).toFixed(1)} s`);
}
const wallMs = Date.now() - started;

if (json) {
  console.log(JSON.stringify({ lessons: entries.length, seeds, cases, withinDesign, faults: totalFaults, skippedFaults: totalSkipped, wallMs, allowed: Object.fromEntries(allowedTally), findings, perLesson }, null, 1));
} else {
  if (allowedTally.size > 0) console.log('\nfound and allowed (runs):');
  for (const [a, n] of [...allowedTally].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))) console.log(`  ${String(n).padStart(5)}  ${a}`);
  for (const [i, f] of findings.entries()) {
    console.log(`\nfinding ${i + 1}: ${f.lesson}, seed ${f.seed}: ${f.kind} ${f.what}`);
    console.log(`  ${f.message.split('\n').slice(0, f.kind === 'simulator-error' ? 8 : 1).join('\n  ')}`);
    console.log(`  the run found: ${f.kinds.join(', ') || 'nothing (it threw)'}; faults ${f.withinDesign ? 'within' : 'beyond'} the lesson's design`);
    console.log(`  faults (add under the lesson's faults: and run it with --seed ${f.seed}):`);
    for (const fault of f.faults) console.log(`    - ${stringify(fault, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`);
    console.log(`  replay: ${f.replay}`);
  }
  console.log(`\n${entries.length} lessons x ${seeds.length} cases = ${cases} runs (${withinDesign} within design; ${totalFaults} faults added, ${totalSkipped} did nothing) in ${(wallMs / 1000).toFixed(1)} s: ${findings.length === 0 ? 'no findings' : `${findings.length} findings`}`);
}
process.exit(findings.length === 0 ? 0 : 1);
