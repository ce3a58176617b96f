import chalk from 'chalk';
import { glossaryTerms, type GlossaryTerm } from '../../web/glossary.js';
import { docsText } from '../../web/docsText.js';
import { UsageError } from '../usageError.js';
import { didYouMean } from '../../scenarios/issueHints.js';

/**
 * `kafkasim glossary [term]`: the words the output uses, defined as docs/glossary.md (and
 * the playground) defines them, from the same text.
 */
export function glossaryLines(term?: string): string[] {
  const terms = glossaryTerms(docsText().glossary);
  const chosen = term === undefined ? terms : terms.filter((t) => matches(t, term));
  if (chosen.length === 0) throw new UsageError(`glossary: no term "${term ?? ''}"${didYouMean(term ?? '', terms.map((t) => t.term))}; the terms: ${terms.map((t) => t.term).join(', ')}`);
  return chosen.flatMap((t) => [chalk.bold(t.term), `  ${t.definition}`]);
}

function matches(t: GlossaryTerm, term: string): boolean {
  return t.term.toLowerCase().includes(term.toLowerCase()) || t.patterns.some((p) => new RegExp(`^(?:${p})$`, 'i').test(term));
}
