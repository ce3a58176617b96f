/**
 * The broker's clients, each with its own connections, as each has its own NetworkClient in
 * Kafka: the lifecycle manager (registration, heartbeats), the AlterPartition manager, the
 * transaction marker channel manager, the AddPartitionsToTxn manager (KIP-890 verification),
 * and one replica fetcher thread per leader and fetcher id. A request that times out closes
 * only its own client's connection.
 */
export const enum Channel {
  Lifecycle = 0,
  AlterPartition = 1,
  TxnMarkers = 2,
  Verification = 3,
  Fetchers = 4,
  /** Above any fetcher's: the metadata log's own client (the broker's KafkaRaftClient). */
  Metadata = 1_000,
}
