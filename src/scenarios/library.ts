import { parseScenario } from './loader.js';
import { libraryFiles } from './libraryFiles.js';
import type { Scenario } from './schema.js';

export { LIBRARY_DIR } from './libraryFiles.js';

export interface LibraryEntry {
  /** The name `kafkasim run <name>` takes: the file name without `.yaml`. */
  readonly name: string;
  readonly path: string;
  readonly scenario: Scenario;
  /** The first sentence of the description: the lesson in one line. */
  readonly lesson: string;
  /** What the scenario expects: its violation kinds, or none. */
  readonly expects: readonly string[] | 'none';
}

/** Every library scenario, by name. */
export function libraryEntries(): LibraryEntry[] {
  return libraryFiles().map(({ name, path, text }) => {
    const scenario = parseScenario(text, path);
    return { name, path, scenario, lesson: lessonOf(scenario.description), expects: scenario.expect?.violations ?? 'none' };
  });
}

/** The path of library scenario `name`, or undefined. */
export function libraryPath(name: string): string | undefined {
  return libraryEntries().find((e) => e.name === name)?.path;
}

/**
 * The first sentence, and the next one too when the first is a twin's "The fixed twin of …"
 * or too short to carry the lesson on its own.
 */
function lessonOf(text: string): string {
  // A sentence ends at . ! or ? before a space and a capital, so "min.insync.replicas" stays whole.
  const sentences = text.trim().replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z])/);
  const count = sentences[0].startsWith('The fixed twin of') || sentences[0].length < 60 ? 2 : 1;
  return sentences.slice(0, count).join(' ').trim();
}
