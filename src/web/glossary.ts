/** A word of docs/glossary.md: its heading, the patterns that find it in a sentence, its definition. */
export interface GlossaryTerm {
  readonly term: string;
  /** Regular expression sources (case-insensitive, whole words) that find the term in text. */
  readonly patterns: readonly string[];
  readonly definition: string;
}

/**
 * The glossary's entries, each a paragraph opening with `**Term.**`: "High watermark (HW)"
 * is found as "high watermark" and "HW", "Leader epoch" also as "epoch", and the message-id
 * entry as any `p1#N` or `p1#N@O`. Markdown's backticks and links are dropped from the text.
 */
export function glossaryTerms(markdown: string): GlossaryTerm[] {
  const terms: GlossaryTerm[] = [];
  for (const para of markdown.split(/\n\s*\n/)) {
    const m = /^\*\*(.+?)\.\*\*\s+([\s\S]*)$/.exec(para.trim());
    if (m === null) continue;
    const term = plain(m[1]);
    terms.push({ term, patterns: patternsOf(term), definition: plain(m[2]).replace(/\s+/g, ' ') });
  }
  return terms;
}

function patternsOf(term: string): string[] {
  if (term.includes('#N')) return ['[A-Za-z][\\w.-]*#\\d+(?:@\\d+)?'];
  const head = term.replace(/\(.*\)/, '').trim();
  const inner = /\((.*)\)/.exec(term)?.[1].split(',').map((s) => s.trim()) ?? [];
  const words = [head, ...inner];
  if (/^leader epoch$/i.test(head)) words.push('epoch');
  return words.filter((w) => w.length > 1 && !/\s(exclude|themselves)/.test(w)).map((w) => `\\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
}

/** Markdown inline code and links as plain text. */
function plain(text: string): string {
  return text.replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
}

/** A piece of narrated text: plain, or a glossary term defined here (its first appearance). */
export type TextPiece = string | { readonly text: string; readonly term: string; readonly definition: string };

/**
 * Splits each text into pieces, marking the first appearance of each glossary term across
 * all of them, in order; later appearances stay plain.
 */
export function defineOnFirstUse(texts: readonly string[], terms: readonly GlossaryTerm[]): TextPiece[][] {
  const seen = new Set<string>();
  return texts.map((text) => {
    const pieces: TextPiece[] = [];
    let rest = text;
    for (;;) {
      const next = firstUnseen(rest, terms, seen);
      if (next === undefined) break;
      if (next.index > 0) pieces.push(rest.slice(0, next.index));
      pieces.push({ text: next.match, term: next.term.term, definition: next.term.definition });
      seen.add(next.term.term);
      rest = rest.slice(next.index + next.match.length);
    }
    if (rest !== '') pieces.push(rest);
    return pieces;
  });
}

function firstUnseen(text: string, terms: readonly GlossaryTerm[], seen: ReadonlySet<string>): { index: number; match: string; term: GlossaryTerm } | undefined {
  let best: { index: number; match: string; term: GlossaryTerm } | undefined;
  for (const term of terms) {
    if (seen.has(term.term)) continue;
    for (const p of term.patterns) {
      const m = new RegExp(p, 'i').exec(text);
      if (m !== null && (best === undefined || m.index < best.index)) best = { index: m.index, match: m[0], term };
    }
  }
  return best;
}
