import { createRequire } from 'node:module';

/** A native CRC32C: `input` continued from `initial`. */
export type NativeCrc = (input: Uint8Array, initial?: number) => number;

/**
 * The native CRC32C of @node-rs/crc32, or undefined where its prebuilt binary cannot load.
 * The browser build swaps in crc32cNative.browser.ts, which has none, so crc32c.ts falls
 * back to its JavaScript tables there.
 */
export function loadNativeCrc32c(): NativeCrc | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32c?: NativeCrc };
    return typeof mod.crc32c === 'function' ? mod.crc32c : undefined;
  } catch {
    return undefined;
  }
}
