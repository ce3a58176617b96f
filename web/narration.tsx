/** The story `kafkasim explain` tells of the chosen violation, in step with the timeline, with the glossary's words defined where they first appear; the violations; the glossary. */
import { useMemo } from 'preact/hooks';
import { defineOnFirstUse, type GlossaryTerm, type TextPiece } from '../src/web/glossary.js';
import type { PlayedRun } from '../src/web/playedRun.js';
import { seconds } from './timeline.js';

interface Props {
  readonly run: PlayedRun;
  readonly atMs: number;
  readonly setAtMs: (ms: number) => void;
  readonly glossary: readonly GlossaryTerm[];
  readonly chosen: number;
  readonly setChosen: (i: number) => void;
}

export function Narration({ run, atMs, setAtMs, glossary, chosen, setChosen }: Props) {
  const violation = run.violations[Math.min(chosen, run.violations.length - 1)];
  const story = violation?.story ?? [];
  const pieces = useMemo(() => defineOnFirstUse(story.map((l) => l.text), glossary), [story, glossary]);
  const shown = Math.floor(atMs / run.frameEveryMs) * run.frameEveryMs;
  const lastPast = story.reduce((last, l, i) => (l.atMs <= shown ? i : last), -1);
  return (
    <section class="story" aria-label="what happened">
      <h2>violations</h2>
      {run.violations.length === 0 ? (
        <p id="no-violations" class="ok">no violations{run.expectMet ? ', as the scenario expects' : ''}</p>
      ) : (
        <ol id="violations">
          {run.violations.map((v, i) => (
            <li key={i} class={i === chosen ? 'chosen' : ''} data-kind={v.kind}>
              <button type="button" onClick={() => { setChosen(i); setAtMs(Math.ceil(v.atMs / run.frameEveryMs) * run.frameEveryMs); }}>
                <strong>{v.kind}</strong>
              </button>{' '}
              <span class="t">{seconds(v.atMs)}</span> {v.message}
            </li>
          ))}
        </ol>
      )}
      {run.violations.length > 0 && <p class={run.expectMet ? 'ok' : 'bad'}>{run.expectMet ? 'as the scenario expects' : 'not what the scenario expects'}</p>}
      {violation !== undefined && (
        <>
          <h2>how it came about <small>(kafkasim explain)</small></h2>
          <ol id="narration" class="narration">
            {story.map((l, i) => (
              <li key={i} class={i === lastPast ? 'current' : l.atMs <= shown ? 'past' : 'future'} aria-current={i === lastPast ? 'step' : undefined}>
                <button type="button" class="t" onClick={() => setAtMs(Math.ceil(l.atMs / run.frameEveryMs) * run.frameEveryMs)}>{seconds(l.atMs)}</button> <Pieces pieces={pieces[i] ?? [l.text]} />
              </li>
            ))}
          </ol>
        </>
      )}
      {run.skippedFaults.length > 0 && (
        <p class="skipped">faults that did nothing: {run.skippedFaults.map((f) => `${seconds(f.atMs)} ${f.action} ${f.target} (${f.reason})`).join('; ')}</p>
      )}
      <details class="glossary">
        <summary>glossary</summary>
        <dl>
          {glossary.map((g) => (
            <>
              <dt key={`t${g.term}`}>{g.term}</dt>
              <dd key={`d${g.term}`}>{g.definition}</dd>
            </>
          ))}
        </dl>
      </details>
    </section>
  );
}

function Pieces({ pieces }: { pieces: readonly TextPiece[] }) {
  return (
    <>
      {pieces.map((p, i) =>
        typeof p === 'string' ? (
          p
        ) : (
          <dfn key={i} class="term" tabIndex={0} title={`${p.term}: ${p.definition}`} data-term={p.term}>
            {p.text}
            <span class="definition" role="tooltip">{p.term}: {p.definition}</span>
          </dfn>
        ),
      )}
    </>
  );
}
