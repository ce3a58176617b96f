import { partitionForKey } from '../../log/partitioner.js';
import { UsageError } from '../usageError.js';

/** `kafkasim partition <key...> --partitions N [--json]`: where Kafka's default partitioner puts each key. */
export function partitionKeys(keys: readonly string[], options: { partitions: string; json?: boolean }, out: (line: string) => void): void {
  const n = Number(options.partitions);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw new UsageError(`--partitions must be a positive integer, got "${options.partitions}"`);
  for (const key of keys) {
    const partition = partitionForKey(Buffer.from(key, 'utf8'), n);
    out(options.json ? JSON.stringify({ key, partition, partitions: n }) : `${key}\t${partition}`);
  }
}
