import type { Rng } from '../../sim/rng.js';
import type { MetadataImage, PartitionState } from './metadataImage.js';
import { NO_LEADER, type PartitionChangeRecord, type PartitionRecord } from './metadataRecords.js';

/**
 * Leader election and replica placement, as pure functions of the metadata image, in the
 * spirit of KRaft's PartitionChangeBuilder and StripedReplicaPlacer.
 */

export interface ElectionPolicy {
  /** unclean.leader.election.enable for the partition's topic. */
  readonly unclean: boolean;
  /** Eligible leader replicas (KIP-966) are on: the eligible.leader.replicas.version feature. */
  readonly elr: boolean;
  /** min.insync.replicas for the partition's topic: below it, replicas leaving the ISR join the ELR. */
  readonly minIsr: number;
}

type Election = { leader: number; unclean: boolean; fromElr: boolean };

/**
 * The leader a partition should have now: its current leader if still active; else the
 * first active ISR member in replica order (Kafka prefers the replica list order, which
 * makes the preferred replica lead when it can); else, with ELR, the first active eligible
 * leader replica, which is as clean a choice (KIP-966); else, with unclean election
 * enabled, the first active replica outside the ISR; else none.
 */
export function electLeader(image: MetadataImage, p: PartitionState, policy: ElectionPolicy): Election {
  if (p.leader !== NO_LEADER && image.isActive(p.leader) && p.isr.includes(p.leader)) return { leader: p.leader, unclean: false, fromElr: false };
  const clean = p.replicas.find((r) => p.isr.includes(r) && image.isActive(r));
  if (clean !== undefined) return { leader: clean, unclean: false, fromElr: false };
  if (policy.elr) {
    const eligible = p.replicas.find((r) => (p.elr ?? []).includes(r) && image.isActive(r));
    if (eligible !== undefined) return { leader: eligible, unclean: false, fromElr: true };
    const last = lastKnownLeader(image, p);
    if (last !== undefined) return { leader: last, unclean: true, fromElr: false };
  }
  if (policy.unclean) {
    const any = p.replicas.find((r) => image.isActive(r));
    if (any !== undefined) return { leader: any, unclean: true, fromElr: false };
  }
  return { leader: NO_LEADER, unclean: false, fromElr: false };
}

/**
 * PartitionChangeBuilder.canElectLastKnownLeader (KIP-966, "select the last known leader if
 * it is unfenced"): with no ISR and no ELR member left, the leader the partition had when
 * its ISR became empty leads again, as before ELR the last ISR member would have. Kafka
 * counts it an unclean election (the ISR restarts with it alone).
 */
function lastKnownLeader(image: MetadataImage, p: PartitionState): number | undefined {
  if (p.isr.length > 0 || (p.elr ?? []).length > 0 || p.lastKnownElr?.length !== 1) return undefined;
  const last = p.lastKnownElr[0];
  return image.isActive(last) ? last : undefined;
}

/**
 * The ELR after the ISR becomes `isr` (KIP-966): while the ISR is below min.insync.replicas,
 * members that leave it join the ELR; members that join the ISR leave the ELR; an ISR back
 * at min.insync.replicas empties it.
 */
export function elrAfter(p: PartitionState, isr: readonly number[], policy: ElectionPolicy): readonly number[] {
  if (!policy.elr || isr.length >= policy.minIsr) return [];
  const leaving = p.isr.filter((r) => !isr.includes(r));
  return [...(p.elr ?? []), ...leaving.filter((r) => !(p.elr ?? []).includes(r))].filter((r) => !isr.includes(r));
}

/**
 * The change that removes a fenced or dead broker from a partition (KRaft's handling of a
 * fenced broker): it leaves the ISR unless it is the last member (so the partition keeps a
 * record of who had everything), and if it led, a new leader is elected. After an unclean
 * election the ISR becomes just the new leader. With ELR (KIP-966) even the last member
 * leaves, into the ELR, which keeps that record instead; a leader elected from the ELR
 * forms the ISR alone. Undefined when nothing changes.
 */
export function removeBroker(image: MetadataImage, p: PartitionState, brokerId: number, policy: ElectionPolicy): PartitionChangeRecord | undefined {
  if (!p.replicas.includes(brokerId)) return undefined;
  const isr = policy.elr || p.isr.length > 1 ? p.isr.filter((r) => r !== brokerId) : p.isr;
  const shrunk: PartitionState = { ...p, isr, elr: elrAfter(p, isr, policy) };
  return changeTo(p, shrunk, electLeader(image, shrunk, policy), policy);
}

/** The change that gives an offline partition a leader once a replica is back. */
export function electIfOffline(image: MetadataImage, p: PartitionState, policy: ElectionPolicy): PartitionChangeRecord | undefined {
  if (p.leader !== NO_LEADER) return undefined;
  const election = electLeader(image, p, policy);
  if (election.leader === NO_LEADER) return undefined;
  return changeTo(p, p, election, policy);
}

/**
 * A preferred leader election (PartitionChangeBuilder with Election.PREFERRED, as the
 * controller's periodic maybeBalancePartitionLeaders runs it): the first replica in the
 * assignment leads again once it is an active member of the ISR; otherwise nothing changes.
 */
export function electPreferred(image: MetadataImage, p: PartitionState): PartitionChangeRecord | undefined {
  const preferred = p.replicas[0];
  if (preferred === undefined || p.leader === preferred || !p.isr.includes(preferred) || !image.isActive(preferred)) return undefined;
  return changeTo(p, p, { leader: preferred, unclean: false, fromElr: false }, undefined);
}

/**
 * Unclean exclusion (KIP-966, ReplicationControlManager.handleBrokerUncleanShutdown): a broker
 * that comes back from an unclean shutdown may have lost what it had (an unflushed page
 * cache), so it leaves every ISR, even as its last member, and every ELR. As Kafka's
 * controller does (ClusterControlManager.registerBroker calls its unclean-shutdown handler
 * for any new incarnation id), every re-registration counts as one, after a clean shutdown
 * too. Without ELR nothing changes here: the fenced broker already left what it could.
 */
export function excludeUnclean(image: MetadataImage, p: PartitionState, brokerId: number, policy: ElectionPolicy): PartitionChangeRecord | undefined {
  if (!policy.elr || (!p.isr.includes(brokerId) && !(p.elr ?? []).includes(brokerId))) return undefined;
  const next: PartitionState = { ...p, isr: p.isr.filter((r) => r !== brokerId), elr: (p.elr ?? []).filter((r) => r !== brokerId) };
  return changeTo(p, next, electLeader(image, next, policy), policy);
}

/** The record that takes partition `p` to `next` with the leader `election` chose. */
function changeTo(p: PartitionState, next: PartitionState, election: Election, policy: ElectionPolicy | undefined): PartitionChangeRecord | undefined {
  const { leader, unclean, fromElr } = election;
  // A leader from outside the ISR forms it alone; an unclean one also ends the ELR.
  const isr = unclean || fromElr ? [leader] : next.isr;
  const elr = unclean ? [] : (next.elr ?? []).filter((r) => r !== leader);
  const isrChanged = !sameMembers(isr, p.isr);
  const elrChanged = !sameMembers(elr, p.elr ?? []);
  const lastKnownElr = policy?.elr === true ? lastKnownAfter(p, isrChanged ? isr : undefined, leader) : undefined;
  if (leader === p.leader && !isrChanged && !elrChanged && lastKnownElr === undefined) return undefined;
  return {
    type: 'PartitionChange',
    topic: p.topic,
    partition: p.partition,
    ...(isrChanged ? { isr } : {}),
    ...(elrChanged ? { elr } : {}),
    ...(lastKnownElr === undefined ? {} : { lastKnownElr }),
    ...(leader === p.leader ? {} : { leader }),
    ...(unclean ? { unclean: true } : {}),
  };
}

/**
 * PartitionChangeBuilder.maybeUpdateLastKnownLeader: the first time the ISR becomes empty,
 * remember the leader it had; once the partition has a leader again, forget it. Undefined
 * when unchanged.
 */
function lastKnownAfter(p: PartitionState, newIsr: readonly number[] | undefined, leader: number): readonly number[] | undefined {
  const known = p.lastKnownElr ?? [];
  if (newIsr !== undefined && newIsr.length === 0) return p.leader === NO_LEADER || (known.length === 1 && known[0] === p.leader) ? undefined : [p.leader];
  if (leader !== NO_LEADER && known.length > 0) return [];
  return undefined;
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Replica placement for a new topic: rack-aware, as Kafka's placement is when brokers
 * have broker.rack. Brokers are ordered by alternating racks (r1, r2, r3, r1, …);
 * partition i's leader is at a random offset plus i in that order, and its followers are
 * the next brokers on racks it does not use yet, so replicas land on as many racks as
 * possible and leadership spreads evenly.
 */
export function placeReplicas(
  image: MetadataImage,
  topic: string,
  partitions: number,
  replicationFactor: number,
  rng: Rng,
): PartitionRecord[] {
  const brokers = image.brokers();
  if (replicationFactor > brokers.length) {
    throw new Error(`replication factor ${replicationFactor} is larger than the ${brokers.length} registered brokers`);
  }
  const racks = new Map<string, number[]>();
  for (const b of brokers) {
    const rack = b.rack ?? '';
    racks.set(rack, [...(racks.get(rack) ?? []), b.brokerId]);
  }
  const rackLists = [...racks.values()];
  const ordered: number[] = [];
  for (let i = 0; ordered.length < brokers.length; i++) {
    for (const list of rackLists) if (i < list.length) ordered.push(list[i]);
  }
  const start = rng.int(0, ordered.length - 1);
  const rackOf = (id: number): string => image.broker(id)?.rack ?? '';
  const out: PartitionRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    // As Kafka's rack-aware assignment does: walk the rack-alternating list from the
    // leader, taking a broker on a rack not used yet while there is one, else any broker.
    const replicas: number[] = [];
    const first = (start + p) % ordered.length;
    for (let pass = 0; pass < 2 && replicas.length < replicationFactor; pass++) {
      for (let k = 0; k < ordered.length && replicas.length < replicationFactor; k++) {
        const candidate = ordered[(first + k) % ordered.length];
        if (replicas.includes(candidate)) continue;
        const allRacksUsed = new Set(replicas.map(rackOf)).size === rackLists.length;
        if (pass === 0 && !allRacksUsed && replicas.some((r) => rackOf(r) === rackOf(candidate))) continue;
        replicas.push(candidate);
      }
    }
    const live = replicas.filter((r) => image.isActive(r));
    out.push({
      type: 'Partition',
      topic,
      partition: p,
      replicas,
      isr: live.length > 0 ? live : replicas,
      leader: live[0] ?? NO_LEADER,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
  }
  return out;
}
