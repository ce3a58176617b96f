/**
 * The brokers' registrations, as KRaft's ClusterControlManager keeps them: each broker's
 * latest incarnation, and where in the metadata log it registered. Both survive a
 * controller restart: the controller replays them from the RegisterBroker records.
 */
export class ClusterControlManager {
  /** The incarnation of each broker's latest registration. */
  private readonly incarnations = new Map<number, number>();
  /** The metadata offset just past each broker's latest registration. */
  private readonly registeredAt = new Map<number, number>();

  /** Forgets every registration, for a replay from the start of the log. */
  reset(): void {
    this.incarnations.clear();
    this.registeredAt.clear();
  }

  /** Whether `incarnation` is the one `brokerId` registered last. */
  isCurrent(brokerId: number, incarnation: number): boolean {
    return this.incarnations.get(brokerId) === incarnation;
  }

  /** `brokerId` registered `incarnation`. */
  setIncarnation(brokerId: number, incarnation: number): void {
    this.incarnations.set(brokerId, incarnation);
  }

  /** `brokerId`'s registration record ends just before metadata offset `offset`. */
  setRegisteredAt(brokerId: number, offset: number): void {
    this.registeredAt.set(brokerId, offset);
  }

  /** The metadata offset just past `brokerId`'s latest registration: it is unfenced once it has caught up with it. */
  registrationOffset(brokerId: number): number | undefined {
    return this.registeredAt.get(brokerId);
  }
}
