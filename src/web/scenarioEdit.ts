import { parseDocument, isSeq } from 'yaml';
import { formatDuration } from '../sim/time.js';

/** A fault made by a click in the playground, at the moment shown. */
export type HandFault =
  | { readonly atMs: number; readonly action: 'crash' | 'restart'; readonly target: string }
  | { readonly atMs: number; readonly action: 'pause'; readonly target: string; readonly forMs: number }
  | { readonly atMs: number; readonly action: 'isolate'; readonly target: string }
  | { readonly atMs: number; readonly action: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly atMs: number; readonly action: 'heal' };

/** The scenario file's entry for `fault`, as a user would write it (faults[], docs/scenarios.md). */
export function faultEntry(fault: HandFault): Record<string, unknown> {
  const at = formatDuration(fault.atMs * 1000);
  switch (fault.action) {
    case 'crash':
    case 'restart':
      return { at, action: fault.action, target: fault.target };
    case 'pause':
      return { at, action: 'pause', target: fault.target, for: formatDuration(fault.forMs * 1000) };
    case 'isolate':
      return { at, action: 'partition', isolate: fault.target };
    case 'partition':
      return { at, action: 'partition', groups: fault.groups.map((g) => [...g]) };
    case 'heal':
      return { at, action: 'heal' };
  }
}

/**
 * The scenario text with `fault` added to its `faults` (created when missing), as one flow
 * line; the rest of the file, comments included, stays as written. The run is then simulated
 * again from the start, so a fault made by hand replays like any other.
 */
export function withFault(yamlText: string, fault: HandFault): string {
  const doc = parseDocument(yamlText);
  const node = doc.createNode(faultEntry(fault), { flow: true });
  const faults = doc.get('faults', true);
  if (isSeq(faults)) {
    faults.items.push(node);
    if (faults.flow === true) faults.flow = false;
  } else {
    doc.set('faults', doc.createNode([faultEntry(fault)], { flow: false }));
    const seq = doc.get('faults', true);
    if (isSeq(seq)) seq.items[0] = node;
  }
  return doc.toString({ lineWidth: 0 });
}
