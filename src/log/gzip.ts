import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * gzip for compressed record batches (Kafka's GZipCompression, compression.type=gzip), with
 * Node's zlib. This module is the log engine's one seam to a compressor: the browser build
 * swaps in its twin, gzip.browser.ts, which writes the same bytes.
 */
export function gzip(data: Uint8Array): Buffer {
  return gzipSync(data);
}

/** The bytes `data` (a gzip stream) holds; a corrupt stream throws. */
export function gunzip(data: Uint8Array): Buffer {
  return gunzipSync(data);
}
