/** A short list for a violation message: the first few items, and how many more there are. */
export function summarize(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
