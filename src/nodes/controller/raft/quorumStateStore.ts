/**
 * The quorum-state file, after Kafka's FileQuorumStateStore: the epoch, the leader this
 * member knows and the candidate it voted for, written atomically (temp file, fsync,
 * rename) on every election change before the member acts on it or answers, so that a
 * crash or a power loss never lets it vote twice in one epoch or forget an epoch.
 */
import { writeFileAtomically, type Disk } from '../../../log/disk.js';

/** What the file holds: Kafka's ElectionState. */
export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: number | undefined;
  readonly votedId: number | undefined;
}

const STATE_PATH = '__cluster_metadata-0/quorum-state';

export class QuorumStateStore {
  constructor(private readonly disk: Disk) {}

  /** The last election state written, or undefined before the first write (FileQuorumStateStore.readElectionState). */
  read(): ElectionState | undefined {
    if (!this.disk.exists(STATE_PATH)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(this.disk.readAll(STATE_PATH).toString('utf8'));
    } catch {
      throw new Error(`${STATE_PATH}: the quorum state file is not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || !('epoch' in value) || typeof value.epoch !== 'number') {
      throw new Error(`${STATE_PATH}: the quorum state file has no epoch`);
    }
    const leaderId = 'leaderId' in value && typeof value.leaderId === 'number' ? value.leaderId : undefined;
    const votedId = 'votedId' in value && typeof value.votedId === 'number' ? value.votedId : undefined;
    return { epoch: value.epoch, leaderId, votedId };
  }

  /** Writes `state` durably (FileQuorumStateStore.writeElectionState). */
  write(state: ElectionState): void {
    this.disk.mkdir('__cluster_metadata-0');
    writeFileAtomically(this.disk, STATE_PATH, Buffer.from(JSON.stringify(state), 'utf8'));
  }
}
