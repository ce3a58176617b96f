import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareStrings } from '../sim/order.js';

/** The built-in scenarios ship as source files beside the compiled package. */
export const LIBRARY_DIR = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));

/** One library scenario file: its name (the file name without `.yaml`), its path and its text. */
export interface LibraryFile {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

/**
 * Every library scenario file, by name: the library's one seam to the file system. The
 * playground's bundle replaces this module with the same files as data, generated at bundle
 * time (scripts/buildWeb.mjs).
 */
export function libraryFiles(): LibraryFile[] {
  return readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort(compareStrings)
    .map((file) => {
      const path = `${LIBRARY_DIR}${file}`;
      return { name: file.slice(0, -'.yaml'.length), path, text: readFileSync(path, 'utf8') };
    });
}
