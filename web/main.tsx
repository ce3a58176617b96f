/**
 * The playground: a library lesson (or your own scenario) run by the real engine in a Web
 * Worker, then shown moment by moment: the cluster, the story `kafkasim explain` tells,
 * violations as markers, faults added by hand and the run simulated again from the start.
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { GlossaryTerm } from '../src/web/glossary.js';
import type { LessonInfo } from '../src/web/lessons.js';
import type { PlayedRun } from '../src/web/playedRun.js';
import type { HandFault } from '../src/web/scenarioEdit.js';
import { Engine } from './engine.js';
import { readHash, writeHash } from './share.js';
import { ClusterView } from './clusterView.js';
import { Narration } from './narration.js';
import { Timeline } from './timeline.js';
import { Diagram } from './diagram.js';

const engine = new Engine(new URL('./worker.js', import.meta.url).href);

/** What the page shows the test and benchmark harness (playwright), besides the DOM. */
interface Hooks {
  firstFrameMs?: number;
  lastRunWallMs?: number;
  request: Engine['request'];
}
const hooks: Hooks = { request: (r) => engine.request(r) };
Object.assign(window, { __kafkasim: hooks });

interface Current {
  /** The lesson shown, or undefined for a scenario of your own. */
  readonly lesson?: string;
  readonly yaml: string;
  readonly seed: number;
}

function seedOf(yaml: string): number {
  const m = /^seed:\s*(\d+)/m.exec(yaml);
  return m === null ? 1 : Number(m[1]);
}

function App() {
  const [lessons, setLessons] = useState<readonly LessonInfo[]>([]);
  const [glossary, setGlossary] = useState<readonly GlossaryTerm[]>([]);
  const [current, setCurrent] = useState<Current | undefined>(undefined);
  const [run, setRun] = useState<PlayedRun | undefined>(undefined);
  // The scenario the last reply answered: until it is the current one, a run is under way (so the page never shows an old run as the new one's).
  const [answered, setAnswered] = useState<Current | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [atMs, setAtMs] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(4);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [notice, setNotice] = useState('');
  const [chosen, setChosen] = useState(0);
  const startAt = useRef<number | undefined>(undefined);
  const latest = useRef<Current | undefined>(undefined);

  useEffect(() => {
    void engine.request({ kind: 'library' }).then((reply) => {
      if (reply.kind !== 'library') return;
      setLessons(reply.lessons);
      setGlossary(reply.glossary);
      const shared = readHash(location.hash);
      startAt.current = shared.atMs;
      const lesson = reply.lessons.find((l) => l.name === shared.lesson) ?? (shared.yaml === undefined ? reply.lessons.find((l) => l.name === 'acks1-leader-failover') ?? reply.lessons[0] : undefined);
      if (shared.yaml !== undefined) setCurrent({ yaml: shared.yaml, seed: shared.seed ?? seedOf(shared.yaml) });
      else if (lesson !== undefined) setCurrent({ lesson: lesson.name, yaml: lesson.yaml, seed: shared.seed ?? lesson.seed });
    });
  }, []);

  // Each new scenario or seed is simulated from the start.
  useEffect(() => {
    if (current === undefined) return;
    setPlaying(false);
    latest.current = current;
    void engine.request({ kind: 'play', yaml: current.yaml, source: current.lesson === undefined ? 'scenario.yaml' : `${current.lesson}.yaml`, seed: current.seed }).then((reply) => {
      // A reply for a scenario changed since is dropped: the newer one's is on its way.
      if (latest.current !== current) return;
      setAnswered(current);
      if (reply.kind === 'played') {
        setRun(reply.run);
        setChosen(0);
        setProblem(undefined);
        hooks.lastRunWallMs = reply.wallMs;
        const at = startAt.current ?? 0;
        startAt.current = undefined;
        setAtMs(Math.min(at, reply.run.endMs));
        if (hooks.firstFrameMs === undefined) requestAnimationFrame(() => (hooks.firstFrameMs = performance.now()));
      } else if (reply.kind === 'invalid' || reply.kind === 'error') {
        setProblem(reply.message);
      }
    });
  }, [current]);

  useEffect(() => {
    if (current === undefined) return;
    history.replaceState(null, '', writeHash(current.lesson === undefined ? { yaml: current.yaml, seed: current.seed } : { lesson: current.lesson, seed: current.seed }));
  }, [current]);

  // Playing: simulated time moves at `speed` times the wall clock.
  useEffect(() => {
    if (!playing || run === undefined) return;
    let last = performance.now();
    let frame = requestAnimationFrame(function tick(now) {
      const dt = (now - last) * speed;
      last = now;
      setAtMs((t) => {
        const next = Math.min(run.endMs, t + dt);
        if (next >= run.endMs) setPlaying(false);
        return next;
      });
      frame = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, run, speed]);

  const pick = useCallback((name: string) => {
    const lesson = lessons.find((l) => l.name === name);
    if (lesson !== undefined) setCurrent({ lesson: lesson.name, yaml: lesson.yaml, seed: lesson.seed });
  }, [lessons]);

  const addFault = useCallback(async (fault: HandFault) => {
    if (current === undefined) return;
    const reply = await engine.request({ kind: 'addFault', yaml: current.yaml, fault });
    if (reply.kind === 'edited') {
      startAt.current = fault.atMs;
      setCurrent({ yaml: reply.yaml, seed: current.seed });
      setNotice(`added ${fault.action} at t=${(fault.atMs / 1000).toFixed(3)}s; simulated again from the start`);
    } else if (reply.kind === 'invalid' || reply.kind === 'error') setProblem(reply.message);
  }, [current]);

  const busy = current !== undefined && answered !== current;
  const lesson = lessons.find((l) => l.name === current?.lesson);
  const cliCommand = current === undefined ? '' : current.lesson !== undefined ? `npx kafkasim run ${current.lesson} --seed ${current.seed}` : `npx kafkasim run ${fileName(run)} --seed ${current.seed}`;

  const copy = (text: string, what: string): void => {
    void navigator.clipboard?.writeText(text).then(() => setNotice(`${what} copied`), () => setNotice(`${what}: ${text}`));
  };
  const download = (): void => {
    if (current === undefined) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([current.yaml], { type: 'text/yaml' }));
    a.download = fileName(run);
    a.click();
    URL.revokeObjectURL(a.href);
  };

  return (
    <div class="app">
      <header>
        <h1>kafkasim playground</h1>
        <label>
          lesson{' '}
          <select id="lesson" value={current?.lesson ?? ''} onChange={(e) => pick(e.currentTarget.value)}>
            {current?.lesson === undefined && <option value="">(your scenario)</option>}
            {lessons.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        {lesson?.twin !== undefined && (
          <button id="twin" type="button" onClick={() => pick(lesson.twin ?? '')} title="the same cluster with the fix">
            its twin: {lesson.twin}
          </button>
        )}
        <label>
          seed{' '}
          <input id="seed" type="number" min={0} value={current?.seed ?? 1} onChange={(e) => current !== undefined && setCurrent({ ...current, seed: Number(e.currentTarget.value) })} />
        </label>
        <button type="button" id="share" onClick={() => copy(location.href, 'link')}>share link</button>
        <button type="button" id="copy-cli" onClick={() => copy(cliCommand, 'CLI command')}>copy CLI command</button>
        <button type="button" id="download" onClick={download}>download YAML</button>
        <button type="button" id="edit" aria-pressed={editing} onClick={() => { setDraft(current?.yaml ?? ''); setEditing(!editing); }}>edit YAML</button>
      </header>
      {lesson !== undefined && <p class="lesson">{lesson.lesson}</p>}
      <p class="status" role="status">
        {busy ? 'simulating…' : notice}
        {run !== undefined && !busy && (
          <span id="summary"> {run.scenario} (seed {run.seed}, Kafka {run.release}): {run.stats.produced} sends, {run.stats.acked} acknowledged; {run.stats.events} events; fingerprint <code id="fingerprint">{run.fingerprint}</code></span>
        )}
      </p>
      <p class="cli"><code id="cli-command">{cliCommand}</code></p>
      {problem !== undefined && <pre id="problem" class="problem">{problem}</pre>}
      {editing && (
        <section class="editor">
          <textarea id="yaml" aria-label="scenario YAML" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} rows={18} spellcheck={false} />
          <button type="button" id="run-yaml" onClick={() => setCurrent({ yaml: draft, seed: seedOf(draft) })}>run this scenario</button>
        </section>
      )}
      {run !== undefined && (
        <>
          <Timeline run={run} atMs={atMs} setAtMs={setAtMs} playing={playing} setPlaying={setPlaying} speed={speed} setSpeed={setSpeed} />
          <main>
            <ClusterView run={run} atMs={atMs} addFault={(f) => void addFault(f)} question={run.violations[chosen]?.records} />
            <Narration run={run} atMs={atMs} setAtMs={setAtMs} glossary={glossary} chosen={chosen} setChosen={setChosen} />
          </main>
          <Diagram run={run} atMs={atMs} jump={(i, k) => {
            const moment = run.violations[i]?.story.filter((l) => !l.text.startsWith('→'))[k];
            if (moment === undefined) return;
            setChosen(i);
            setAtMs(Math.min(run.endMs, Math.ceil(moment.atMs / run.frameEveryMs) * run.frameEveryMs));
          }} />
        </>
      )}
    </div>
  );
}

function fileName(run: PlayedRun | undefined): string {
  return `${(run?.scenario ?? 'scenario').replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`;
}

const root = document.getElementById('app') ?? document.body;
root.textContent = '';
render(<App />, root);
