/**
 * `npm run bench -- <name> [--json]`: runs one benchmark. Each prints a human table and,
 * with --json, one JSON object as its last line.
 */
import { main as kernel } from './kernel.js';
import { main as network } from './network.js';
import { main as log } from './log.js';
import { main as cluster } from './cluster.js';
import { main as sweep } from './sweep.js';
import { main as groups } from './groups.js';
import { main as eos } from './eos.js';
import { main as web } from './web.js';
import { main as core } from './typedCore.js';

const benches: Record<string, (argv: readonly string[]) => void | Promise<void>> = { kernel, network, log, cluster, sweep, groups, eos, web, core };

const [name, ...rest] = process.argv.slice(2);
const bench = name === undefined ? undefined : benches[name];
if (bench === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--json]`);
  process.exit(2);
}
await bench(rest);
