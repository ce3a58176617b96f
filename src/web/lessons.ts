import { libraryEntries, type LibraryEntry } from '../scenarios/library.js';
import { libraryFiles } from '../scenarios/libraryFiles.js';

/** A library lesson as the playground lists it. */
export interface LessonInfo {
  readonly name: string;
  /** Its lesson in a sentence or two (as `kafkasim list` prints it). */
  readonly lesson: string;
  /** The violation kinds it expects, or none. */
  readonly expects: readonly string[] | 'none';
  /** Its fixed twin (docs/lessons.md), or the lesson it is the twin of. */
  readonly twin?: string;
  readonly seed: number;
  readonly yaml: string;
}

/**
 * Each lesson's twin, from the table of docs/lessons.md (`| \`lesson\` | shows | \`twin\` … |`):
 * the first name in the twin column, and back from the twin to the lesson when the twin has
 * no row of its own.
 */
export function twinsOf(lessonsDoc: string): Map<string, string> {
  const twins = new Map<string, string>();
  const backward: [string, string][] = [];
  for (const line of lessonsDoc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const lesson = /^`([a-z0-9-]+)`$/.exec(cells[1] ?? '')?.[1];
    const twin = /^`([a-z0-9-]+)`/.exec(cells[3] ?? '')?.[1];
    if (lesson === undefined || twin === undefined) continue;
    twins.set(lesson, twin);
    backward.push([twin, lesson]);
  }
  for (const [twin, lesson] of backward) if (!twins.has(twin)) twins.set(twin, lesson);
  return twins;
}

/** The library's lessons with their twins and texts. */
export function lessonInfos(lessonsDoc: string, entries: readonly LibraryEntry[] = libraryEntries()): LessonInfo[] {
  const twins = twinsOf(lessonsDoc);
  const texts = new Map(libraryFiles().map((f) => [f.name, f.text]));
  return entries.map((e) => {
    const twin = twins.get(e.name);
    return { name: e.name, lesson: e.lesson, expects: e.expects, seed: e.scenario.seed, yaml: texts.get(e.name) ?? '', ...(twin === undefined ? {} : { twin }) };
  });
}
