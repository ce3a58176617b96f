import type { NativeCrc } from './crc32cNative.js';

/** The browser twin of crc32cNative.ts: no native binary, so crc32c.ts uses its JavaScript tables (crc32cJs), proved equal to the native one in test/log/crc32c.test.ts. */
export function loadNativeCrc32c(): NativeCrc | undefined {
  return undefined;
}
