/**
 * kafkajs's own record-batch encoder and decoder and its Java-compatible murmur2, used as
 * an independent oracle for our format code. kafkajs publishes these only as CommonJS
 * internals, so they are loaded by path.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  readonly buffer: Buffer;
}
interface KafkajsDecodedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
}
export interface KafkajsDecodedBatch {
  readonly firstOffset: string;
  readonly partitionLeaderEpoch: number;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;
  readonly lastOffsetDelta: number;
  readonly records: readonly KafkajsDecodedRecord[];
}

type KafkajsRecordFn = (r: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer> }) => KafkajsEncoder;
type KafkajsBatchFn = (b: Record<string, unknown>) => Promise<KafkajsEncoder>;

export const kjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as KafkajsRecordFn;
export const kjsRecordBatch = (require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: KafkajsBatchFn }).RecordBatch;
const kjsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KafkajsDecodedBatch>;
const KjsDecoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
export const kjsLong = require('kafkajs/src/utils/long') as { fromValue(n: number | string): unknown; fromNumber(n: number): unknown };
export const kjsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
export const kjsCompression = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

export function kjsDecodeBatch(buf: Buffer): Promise<KafkajsDecodedBatch> {
  return kjsBatchDecoder(new KjsDecoder(buf));
}
