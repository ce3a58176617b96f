/** One line of a narrated timeline. */
export interface TimelineLine {
  /** Simulated microseconds. */
  readonly at: number;
  readonly text: string;
}

/** A timeline being told: `say` adds a line, unless it repeats the last one word for word at the same instant. */
export function timeline(): { readonly lines: TimelineLine[]; say(at: number, text: string): void } {
  const lines: TimelineLine[] = [];
  return {
    lines,
    say(at, text) {
      const last = lines.at(-1);
      if (last === undefined || last.at !== at || last.text !== text) lines.push({ at, text });
    },
  };
}
