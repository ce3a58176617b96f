/** The cluster at the moment shown: nodes with their state and the faults a click adds; each partition's leader, epoch, ISR and its replicas as log strips. */
import type { ClusterState, NodeAtMoment, PartitionAtMoment, ReplicaAtMoment } from '../src/scenarios/clusterState.js';
import type { PlayedRun, RecordsInQuestion } from '../src/web/playedRun.js';
import type { HandFault } from '../src/web/scenarioEdit.js';
import { seconds } from './timeline.js';

interface Props {
  readonly run: PlayedRun;
  readonly atMs: number;
  readonly addFault: (f: HandFault) => void;
  /** The chosen violation's records, marked on the replicas that hold them. */
  readonly question?: RecordsInQuestion;
}

/** The frame at or before `ms`: the grid's moment the page shows. */
export function frameAt(run: PlayedRun, ms: number): ClusterState {
  return run.frames[Math.max(0, Math.min(run.frames.length - 1, Math.floor(ms / run.frameEveryMs)))];
}

export function ClusterView({ run, atMs, addFault, question }: Props) {
  const s = frameAt(run, atMs);
  const at = s.atMs;
  const scale = Math.max(1, ...run.frames.flatMap((f) => f.partitions.flatMap((p) => p.replicas.map((r) => r.logEnd ?? 0))));
  const canFault = at < run.drainStartMs;
  return (
    <section class="cluster" aria-label="the cluster at this moment">
      <h2>
        cluster at <span id="frame-time" data-ms={at}>{seconds(at)}</span> <small>{s.phase === 'run' ? '' : s.phase === 'drain' ? '(drain)' : '(quiesce)'}</small>
      </h2>
      {!canFault && <p class="hint">faults by hand stop where the drain begins ({seconds(run.drainStartMs)})</p>}
      <div class="nodes">
        {s.controllers.map((c) => <NodeCard key={c.node} n={c} target={s.controllers.length === 1 ? 'controller' : c.node} extra={c.active ? 'active' : undefined} at={at} canFault={canFault} addFault={addFault} />)}
        {s.brokers.map((b) => <NodeCard key={b.node} n={b} extra={b.fenced === true ? 'fenced' : undefined} at={at} canFault={canFault} addFault={addFault} />)}
        {s.producers.map((p) => <NodeCard key={p.node} n={{ ...p, cutOffFrom: [] }} extra={p.partitions.map((x) => `${x.partition} ${x.inFlight} in flight, ${x.waiting} waiting`).join('; ') || 'nothing unfinished'} at={at} canFault={canFault} addFault={addFault} />)}
        {s.consumers.map((c) => <NodeCard key={c.node} n={{ ...c, cutOffFrom: [] }} extra={c.joinState === undefined ? undefined : `${c.joinState}, gen ${c.generation}`} at={at} canFault={canFault} addFault={addFault} />)}
      </div>
      {canFault && (
        <p class="net">
          <button type="button" id="heal" onClick={() => addFault({ atMs: at, action: 'heal' })}>heal every partition</button>{' '}
          {s.brokers.length >= 3 && (
            <button type="button" id="split" onClick={() => addFault({ atMs: at, action: 'partition', groups: [[s.brokers[0].node], s.brokers.slice(1).map((b) => b.node)] })}>
              partition {s.brokers[0].node} | {s.brokers.slice(1).map((b) => b.node).join(', ')}
            </button>
          )}
        </p>
      )}
      <table class="partitions">
        <thead>
          <tr>
            <th>partition</th>
            <th>leader</th>
            <th><abbr title="leader epoch: raised at each election of the partition's leader">epoch</abbr></th>
            <th><abbr title="in-sync replicas: the leader and the followers caught up with it">ISR</abbr></th>
            <th>replicas: <span class="key gone">deleted</span> <span class="key committed">below the <abbr title="high watermark: below it every ISR member has the records; they are committed">HW</abbr></span> <span class="key uncommitted">up to the log end</span></th>
          </tr>
        </thead>
        <tbody>
          {s.partitions.map((p) => <PartitionRow key={p.name} p={p} scale={scale} at={at} question={question?.partition === p.name ? question : undefined} />)}
        </tbody>
      </table>
      {s.groups.map((g) => (
        <p key={g.group} class="group">
          group {g.group}: coordinator {g.coordinator === null ? 'none' : `broker-${g.coordinator}`}
          {g.state === undefined ? '' : `, ${g.state}, generation ${g.generation}`}; committed {g.offsets.map((o) => `${o.partition} ${o.committed ?? '-'} (lag ${o.lag ?? '?'})`).join(', ')}
        </p>
      ))}
      {s.transactions.length > 0 && <p class="txns">open transactions: {s.transactions.map((t) => `${t.transactionalId} ${t.state}`).join(', ')}</p>}
      <h3>just before</h3>
      <ol class="recent">
        {s.recent.length === 0 && <li class="dim">nothing of note yet</li>}
        {s.recent.map((e, i) => (
          <li key={i}>
            <span class="t">{seconds(e.atMs)}</span> {e.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** A node with its state; its fault buttons name it as a scenario's faults do (`target`: the one controller is `controller`). */
function NodeCard({ n, target = n.node, extra, at, canFault, addFault }: { n: NodeAtMoment; target?: string; extra?: string; at: number; canFault: boolean; addFault: (f: HandFault) => void }) {
  const state = n.state === 'paused' ? `paused until ${seconds(n.pausedUntilMs ?? 0)}` : n.state;
  return (
    <div class={`node ${n.state}${n.cutOff ? ' cut' : ''}`} data-node={n.node} data-state={n.state}>
      <strong>{n.node}</strong> <span class="state">{state}</span>
      {n.cutOff && <span class="cutoff"> cut off{n.cutOffFrom.length > 0 ? ` from ${n.cutOffFrom.join(', ')}` : ''}</span>}
      {extra !== undefined && <div class="extra">{extra}</div>}
      {canFault && (
        <div class="faults" role="group" aria-label={`faults for ${n.node}`}>
          {n.state === 'down' ? (
            <button type="button" data-fault="restart" onClick={() => addFault({ atMs: at, action: 'restart', target })}>restart</button>
          ) : (
            <>
              <button type="button" data-fault="crash" onClick={() => addFault({ atMs: at, action: 'crash', target })}>crash</button>
              <button type="button" data-fault="pause" onClick={() => addFault({ atMs: at, action: 'pause', target, forMs: 5000 })}>pause 5s</button>
              <button type="button" data-fault="isolate" onClick={() => addFault({ atMs: at, action: 'isolate', target })}>isolate</button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

function PartitionRow({ p, scale, at, question }: { p: PartitionAtMoment; scale: number; at: number; question?: RecordsInQuestion }) {
  const leaderHw = p.replicas.find((r) => r.broker === p.leader)?.highWatermark;
  return (
    <tr data-partition={p.name} data-leader={p.leader ?? 'none'} data-epoch={p.leaderEpoch} data-isr={p.isr.join(',')} data-hw={leaderHw ?? ''}>
      <td>{p.name}</td>
      <td class={p.leader === null ? 'bad' : ''}>{p.leader === null ? `none${p.noLeaderSinceMs === undefined ? '' : ` since ${seconds(p.noLeaderSinceMs)}`}` : `broker-${p.leader}`}</td>
      <td>{p.leaderEpoch}</td>
      <td>[{p.isr.join(',')}]</td>
      <td>
        {p.replicas.map((r) => <Strip key={r.broker} r={r} leader={p.leader === r.broker} inIsr={p.isr.includes(r.broker)} scale={scale} held={question !== undefined && holds(r, question, at) ? question : undefined} />)}
      </td>
    </tr>
  );
}

/** Whether replica `r` holds the records in question at `at`: its log reaches them and it holds their originals then (not other records a later leader wrote at those offsets). */
function holds(r: ReplicaAtMoment, q: RecordsInQuestion, at: number): boolean {
  const spans = q.heldMs[r.broker] ?? [];
  return r.logEnd !== undefined && r.logEnd > q.from && spans.some((s) => at >= s.fromMs && (s.toMs === undefined || at < s.toMs));
}

function Strip({ r, leader, inIsr, scale, held }: { r: ReplicaAtMoment; leader: boolean; inIsr: boolean; scale: number; held?: RecordsInQuestion }) {
  const w = (n: number): string => `${((n / scale) * 100).toFixed(2)}%`;
  const label = r.logEnd === undefined ? `broker-${r.broker} ${r.state}` : `broker-${r.broker}${leader ? ' leader' : ''}${inIsr ? ' in ISR' : ''}: log start ${r.logStart}, HW ${r.highWatermark}, log end ${r.logEnd}${r.state === 'up' ? '' : ` (${r.state})`}`;
  return (
    <div class={`strip ${r.state}${leader ? ' leader' : ''}${inIsr ? ' isr' : ''}`} data-broker={r.broker} data-log-end={r.logEnd ?? ''} data-hw={r.highWatermark ?? ''} title={label}>
      <span class="who">{leader ? '★' : inIsr ? '●' : '○'} {r.broker}</span>
      <span class="bar">
        {held !== undefined && <span class="question" data-question={`${held.from}-${held.to}`} style={{ left: w(held.from), width: `max(3px, ${w(Math.min(held.to, r.logEnd ?? held.to) - held.from)})` }} title={`holds the records in question (offsets ${held.from} to ${held.to - 1})`} />}
        {r.logEnd !== undefined && (
          <>
            <span class="gone" style={{ width: w(r.logStart ?? 0) }} />
            <span class="committed" style={{ width: w(Math.max(0, (r.highWatermark ?? 0) - (r.logStart ?? 0))) }} />
            <span class="uncommitted" style={{ width: w(Math.max(0, r.logEnd - Math.max(r.highWatermark ?? 0, r.logStart ?? 0))) }} />
          </>
        )}
      </span>
      <span class="nums">{r.logEnd === undefined ? r.state : `${r.logStart}/${r.highWatermark}/${r.logEnd}`}</span>
    </div>
  );
}
