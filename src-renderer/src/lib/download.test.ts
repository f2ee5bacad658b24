// Base64 round trip used for Parquet exports and imports.
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from './download';

describe('base64', () => {
  it('round-trips every byte value', () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => i % 256);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
  });

  it('decodes a known value', () => {
    expect(Array.from(base64ToBytes('UEFSMQ=='))).toEqual([80, 65, 82, 49]);
  });
});
