/** Time: play, pause, speed, step, the next event of interest, and a scrubber with the violations and events as markers. */
import type { PlayedRun } from '../src/web/playedRun.js';

interface Props {
  readonly run: PlayedRun;
  readonly atMs: number;
  readonly setAtMs: (ms: number) => void;
  readonly playing: boolean;
  readonly setPlaying: (p: boolean) => void;
  readonly speed: number;
  readonly setSpeed: (s: number) => void;
}

export function seconds(ms: number): string {
  return `t=${(ms / 1000).toFixed(3)}s`;
}

export function Timeline({ run, atMs, setAtMs, playing, setPlaying, speed, setSpeed }: Props) {
  const step = run.frameEveryMs;
  const clamp = (ms: number): number => Math.max(0, Math.min(run.endMs, ms));
  const nextEvent = run.events.find((e) => e.atMs > atMs + 0.5);
  const prevEvent = [...run.events].reverse().find((e) => e.atMs < atMs - step);
  const pct = (ms: number): string => `${((ms / Math.max(1, run.endMs)) * 100).toFixed(3)}%`;
  const onKey = (e: KeyboardEvent): void => {
    if (e.target instanceof HTMLInputElement && e.target.type === 'range') return;
    if (e.key === ' ' && !(e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      setPlaying(!playing);
    }
  };
  return (
    <section class="timeline" aria-label="time" onKeyDown={onKey}>
      <div class="controls">
        <button type="button" id="play" onClick={() => { if (atMs >= run.endMs) setAtMs(0); setPlaying(!playing); }} aria-keyshortcuts="Space">
          {playing ? 'pause' : 'play'}
        </button>
        <button type="button" id="step-back" onClick={() => setAtMs(clamp(Math.ceil(atMs / step) * step - step))} title="one step back">◀ step</button>
        <button type="button" id="step" onClick={() => setAtMs(clamp(Math.floor(atMs / step) * step + step))} title="one step on">step ▶</button>
        <button type="button" id="prev-event" disabled={prevEvent === undefined} onClick={() => prevEvent !== undefined && setAtMs(Math.ceil(prevEvent.atMs / step) * step)}>◀ event</button>
        <button type="button" id="next-event" disabled={nextEvent === undefined} onClick={() => nextEvent !== undefined && setAtMs(clamp(Math.ceil(nextEvent.atMs / step) * step))} title={nextEvent?.text}>
          next event ▶
        </button>
        <label>
          speed{' '}
          <select id="speed" value={String(speed)} onChange={(e) => setSpeed(Number(e.currentTarget.value))}>
            {[0.25, 1, 4, 10, 30].map((s) => (
              <option key={s} value={String(s)}>
                ×{s}
              </option>
            ))}
          </select>
        </label>
        <output id="now" data-ms={Math.floor(atMs / step) * step}>
          {seconds(Math.floor(atMs / step) * step)}
          {atMs > run.drainStartMs ? ' (drain: faults stopped, everything healed)' : ''}
        </output>
      </div>
      <div class="track">
        <div class="drain" style={{ left: pct(run.drainStartMs), width: pct(run.endMs - run.drainStartMs) }} title="the drain: faults stop, everything heals and restarts" />
        {run.events.map((e, i) => (
          <span key={`e${i}`} class="marker event" style={{ left: pct(e.atMs) }} title={`${seconds(e.atMs)} ${e.text}`} />
        ))}
        {run.violations.map((v, i) => (
          <button type="button" key={`v${i}`} class="marker violation" style={{ left: pct(v.atMs) }} title={`${seconds(v.atMs)} ${v.kind}`} aria-label={`violation ${v.kind} at ${seconds(v.atMs)}`} onClick={() => setAtMs(clamp(Math.ceil(v.atMs / step) * step))} />
        ))}
        <input id="scrub" type="range" min={0} max={run.endMs} step={step} value={Math.floor(atMs / step) * step} aria-label="the moment shown" aria-valuetext={seconds(atMs)} onInput={(e) => { setPlaying(false); setAtMs(Number(e.currentTarget.value)); }} />
      </div>
    </section>
  );
}
