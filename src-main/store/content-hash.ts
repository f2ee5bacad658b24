// The content hash used to store a prompt or a response once: sha256 of its UTF-8 text, as hex.
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
