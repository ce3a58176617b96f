#!/usr/bin/env node
// Prints docs/fidelity.md's table of behaviour x Kafka release from the setting declarations
// (run `npm run build` first). test/scenarios/releaseTable.test.ts checks the doc holds it.
import { releaseTableMarkdown } from '../dist/scenarios/releaseTable.js';

console.log(releaseTableMarkdown());
