import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The two documents the playground reads: the lesson table (each lesson's twin) and the
 * glossary, shared with the CLI's docs. In Node they are read beside the package; the
 * playground's bundle replaces this module with the same texts as data (scripts/buildWeb.mjs).
 */
export function docsText(): { readonly lessons: string; readonly glossary: string } {
  const read = (name: string): string => readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');
  return { lessons: read('lessons.md'), glossary: read('glossary.md') };
}
