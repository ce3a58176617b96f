import type { ProducerClient, Scenario } from './schema.js';

/**
 * `explain` on a run without violations: which faults hit, and why the configuration kept
 * the producers' acknowledged writes (acks=all waits for min.insync.replicas in-sync
 * replicas, Partition.appendRecordsToLeader; a clean election picks only an in-sync replica,
 * PartitionChangeBuilder) and their retries single (the idempotent producer's sequence
 * numbers, ProducerStateManager); or, for a configuration that does not promise it, that
 * this seed's faults happened not to strike at the wrong moment.
 */

/** One fault the run applied, as the summary labels it. */
export interface AppliedFault {
  /** Simulated milliseconds. */
  readonly at: number;
  readonly label: string;
}

/** The sentences, in order: the faults, then one per producer, then one per consumer group. */
export function explainCleanRun(s: Scenario, faults: readonly AppliedFault[]): string[] {
  const lines = [faults.length === 0 ? 'no fault struck this run' : `${faults.length} fault${faults.length === 1 ? '' : 's'} struck: ${faults.map((f) => `${f.label} at ${(f.at / 1000).toFixed(3)}s`).join('; ')}`];
  for (const c of s.clients) {
    if (c.type === 'producer') lines.push(...producerWhy(s, c));
    else lines.push(`${c.id} (group ${c.group}) processes with ${c.processing.mode}: ${MODE_WHY[c.processing.mode] ?? 'see the consumer lessons'}`);
  }
  return lines;
}

const MODE_WHY: Readonly<Record<string, string>> = {
  'commit-after-process': 'it commits only what it processed, so a crash can make a record be processed again, never skipped (at least once)',
  'commit-before-process': 'it commits before processing, so a crash between the two skips records (at most once): none was caught in that gap this run',
  'auto-commit': 'it commits every auto.commit.interval.ms what the previous poll returned, so a crash replays up to that interval: none replayed this run',
  transactional: 'outputs and input offsets commit in one transaction, so a crash aborts both (exactly once)',
};

function producerWhy(s: Scenario, p: ProducerClient): string[] {
  const topic = s.topics.find((t) => t.name === p.topic);
  const minIsr = topic?.config['min.insync.replicas'] ?? s.cluster.config['min.insync.replicas'];
  const unclean = topic?.config['unclean.leader.election.enable'] ?? s.cluster.config['unclean.leader.election.enable'];
  const acks = String(p.config.acks);
  const idempotent = p.config['enable.idempotence'] === true;
  const out: string[] = [];
  if (acks === 'all' && minIsr >= 2 && unclean === false) {
    out.push(
      `${p.id} (acks=all, min.insync.replicas=${minIsr} for ${p.topic}, unclean.leader.election.enable=false): a write was acknowledged only once ${minIsr} in-sync replicas held it, and only an in-sync replica could be elected, so every leader after a fault held every acknowledged write${s.cluster.config['flush.messages'] > 1 ? ' (as long as no two of those replicas lose power together: they do not fsync each write)' : ''}`,
    );
  } else {
    out.push(`${p.id} (acks=${acks}, min.insync.replicas=${minIsr}, unclean.leader.election.enable=${String(unclean)}) does not promise to keep every acknowledged write: this seed's faults did not strike at the wrong moment; kafkasim sweep runs other seeds`);
  }
  out.push(
    idempotent
      ? `${p.id} has enable.idempotence=true: a retry carries its producer id and sequence, and the leader recognises one it already wrote (no duplicates, no reordering)`
      : `${p.id} has enable.idempotence=false: a retry of a write that landed would be written twice; none was this run`,
  );
  return out;
}
