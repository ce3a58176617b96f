/** The report's space-time diagram (the same renderer, report.ts), with a line at the moment shown; a click on one of its moments jumps there. */
import { DIAGRAM_STYLE, DIAGRAM_WIDTH, diagramX } from '../src/scenarios/spaceTimeGeometry.js';
import type { PlayedRun } from '../src/web/playedRun.js';

interface Props {
  readonly run: PlayedRun;
  readonly atMs: number;
  /** Violation i's story moment k (0-based), as the diagram's links name them (`#v<i+1>-m<k+1>`). */
  readonly jump: (violation: number, moment: number) => void;
}

export function Diagram({ run, atMs, jump }: Props) {
  const left = (diagramX(atMs * 1000, run.endMs * 1000) / DIAGRAM_WIDTH) * 100;
  const onClick = (e: MouseEvent): void => {
    const link = e.target instanceof Element ? e.target.closest('a') : null;
    const m = /^#v(\d+)-m(\d+)$/.exec(link?.getAttribute('href') ?? '');
    if (m === null) return;
    e.preventDefault();
    jump(Number(m[1]) - 1, Number(m[2]) - 1);
  };
  return (
    <section class="diagram" aria-label="space-time diagram">
      <h2>space-time <small>(as kafkasim report draws it: lanes per node, down, paused and cut-off bands, the records in question replicated)</small></h2>
      <style>{DIAGRAM_STYLE}</style>
      <div class="diagram-box" onClick={onClick}>
        <div dangerouslySetInnerHTML={{ __html: run.diagram }} />
        <div class="now-line" style={{ left: `${left.toFixed(3)}%` }} />
      </div>
    </section>
  );
}
