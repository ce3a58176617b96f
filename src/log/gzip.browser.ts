import { gzip as pakoGzip, ungzip } from 'pako';

/**
 * The browser twin of gzip.ts (the bundler picks it for the playground): pako, a JavaScript
 * port of zlib whose output is byte for byte that of Node's zlib at the same settings, so a
 * gzip batch has the same bytes, CRC and size in both runtimes (test/log/gzip.test.ts).
 */
export function gzip(data: Uint8Array): Buffer {
  return asBuffer(pakoGzip(data));
}

/** The bytes `data` (a gzip stream) holds; a corrupt stream throws. */
export function gunzip(data: Uint8Array): Buffer {
  return asBuffer(ungzip(data));
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
