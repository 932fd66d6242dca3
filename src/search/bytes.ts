/**
 * Fold case the cheap way: set bit 5 (0x20) of every byte, four at a time.
 * 'A'..'Z' become 'a'..'z'; a few other bytes collide too ('@' with '`',
 * '_' with DEL, control characters with punctuation), which only ever adds
 * candidates: whoever finds a candidate checks it precisely. Needles must be
 * folded the same way.
 */
export function foldInPlace(buf: Buffer, len: number): void {
  const head = Math.min(len, (4 - (buf.byteOffset % 4)) % 4);
  for (let i = 0; i < head; i++) buf[i] |= 0x20;
  const count = (len - head) >>> 2;
  if (count > 0) {
    const words = new Int32Array(buf.buffer, buf.byteOffset + head, count);
    for (let i = 0; i < count; i++) words[i] |= 0x20202020;
  }
  for (let i = head + (count << 2); i < len; i++) buf[i] |= 0x20;
}

/** A literal folded like foldInPlace folds the text it is searched in. */
export function foldedNeedle(literal: string): Buffer {
  const b = Buffer.from(literal, "latin1");
  foldInPlace(b, b.length);
  return b;
}
