import { runScenario } from '../scenarios/runner.js';
import { libraryEntries } from '../scenarios/library.js';
import { parseScenario, ScenarioError } from '../scenarios/loader.js';
import { compareStrings } from '../sim/order.js';
import { docsText } from './docsText.js';
import { glossaryTerms } from './glossary.js';
import { lessonInfos } from './lessons.js';
import { playScenario } from './playedRun.js';
import type { Reply, WorkerRequest } from './protocol.js';
import { withFault } from './scenarioEdit.js';

/** The library, read once per worker: every request that names a lesson would otherwise parse all of them again. */
let library: { readonly lessons: ReturnType<typeof lessonInfos>; readonly glossary: ReturnType<typeof glossaryTerms>; readonly entries: ReturnType<typeof libraryEntries> } | undefined;

function theLibrary(): NonNullable<typeof library> {
  if (library === undefined) {
    const docs = docsText();
    const entries = libraryEntries();
    library = { lessons: lessonInfos(docs.lessons, entries), glossary: glossaryTerms(docs.glossary), entries };
  }
  return library;
}

/**
 * The worker's work, one request at a time, without the worker: the same function runs in
 * the browser's Web Worker (web/worker.ts) and in Node's tests. Bad scenario text is an
 * `invalid` reply with the schema's issues, never a throw.
 */
export function handleRequest(req: WorkerRequest): Reply {
  try {
    switch (req.kind) {
      case 'library': {
        const { lessons, glossary } = theLibrary();
        return { id: req.id, kind: 'library', lessons, glossary };
      }
      case 'play': {
        const scenario = parseScenario(req.yaml, req.source);
        return { id: req.id, kind: 'played', run: playScenario(scenario, { seed: req.seed, frameEveryMs: req.frameEveryMs }) };
      }
      case 'addFault': {
        parseScenario(req.yaml, 'scenario');
        const yaml = withFault(req.yaml, req.fault);
        parseScenario(yaml, 'scenario');
        return { id: req.id, kind: 'edited', yaml };
      }
      case 'fingerprint': {
        const entry = theLibrary().entries.find((e) => e.name === req.lesson);
        if (entry === undefined) return { id: req.id, kind: 'error', message: `no lesson named ${req.lesson}` };
        const r = runScenario(entry.scenario, { seed: req.seed });
        const kinds = [...new Set(r.violations.map((v) => v.kind))].sort(compareStrings);
        return { id: req.id, kind: 'fingerprint', lesson: req.lesson, seed: r.seed, fingerprint: r.fingerprint, kinds, events: r.stats.events };
      }
    }
  } catch (err) {
    if (err instanceof ScenarioError) return { id: req.id, kind: 'invalid', message: err.message, issues: err.issues };
    return { id: req.id, kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}
