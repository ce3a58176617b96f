/**
 * A topic partition (Kafka's TopicPartition) and its name, `orders-0`, as Kafka's
 * TopicPartition.toString writes it and as Kafka names its log directory. Topic names may
 * hold dashes: the partition number is what follows the last one. Every part of kafkasim
 * builds and reads partition names here.
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition's name, "<topic>-<partition>". */
export type PartitionName = string;

const interned = new Map<string, string[]>();

/** The name of `partition` of `topic`: one string per partition rather than one per call (request paths ask for it per batch). */
export function partitionName(topic: string, partition: number): PartitionName {
  if (!(partition >= 0 && partition < 100_000 && Number.isInteger(partition))) return `${topic}-${partition}`;
  let names = interned.get(topic);
  if (names === undefined) interned.set(topic, (names = []));
  return (names[partition] ??= `${topic}-${partition}`);
}

/** The name of a topic partition. */
export function nameOf(tp: TopicPartition): PartitionName {
  return partitionName(tp.topic, tp.partition);
}

/** The topic partition a name stands for, or undefined when it is not "<topic>-<number>". */
export function parsePartitionName(name: string): TopicPartition | undefined {
  const m = /^(.+)-(\d+)$/.exec(name);
  return m === null ? undefined : { topic: m[1], partition: Number(m[2]) };
}

/** The topic partition of a name this program built; a malformed one is a bug, and throws. */
export function topicPartitionOf(name: PartitionName): TopicPartition {
  const tp = parsePartitionName(name);
  if (tp === undefined) throw new RangeError(`not a partition name: ${JSON.stringify(name)}`);
  return tp;
}

/** The topic and partition number of a name this program built, as a pair. */
export function splitPartitionName(name: PartitionName): [topic: string, partition: number] {
  const { topic, partition } = topicPartitionOf(name);
  return [topic, partition];
}
