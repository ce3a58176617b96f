/**
 * Kafka's ProducerIdManager: the producer ids this broker hands out, to idempotent
 * producers (InitProducerId) and to its transaction coordinator.
 */
export class ProducerIdManager {
  private nextProducerId = 0;

  constructor(
    private readonly brokerId: number,
    private readonly incarnation: number,
  ) {}

  /** Kafka's next producer id: each broker hands them out from its own range (Kafka gets blocks from the controller). */
  generateProducerId(): number {
    return this.brokerId * 1_000_000 + this.incarnation * 10_000 + this.nextProducerId++;
  }
}
