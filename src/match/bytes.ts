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

/**
 * How many times `byte` occurs in `buf[from..to)`, four bytes at a time: a
 * word XOR-ed with the byte repeated has a zero byte where it matched, and
 * the zero-byte trick marks each with a high bit to count.
 */
export function countByte(buf: Buffer, byte: number, from: number, to: number): number {
  let count = 0;
  let i = from;
  while (i < to && (buf.byteOffset + i) % 4 !== 0) if (buf[i++] === byte) count++;
  const words = Math.floor((to - i) / 4);
  if (words > 0) {
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    const pattern = (byte * 0x01010101) >>> 0;
    for (let w = 0; w < words; w++) {
      const x = view[w] ^ pattern;
      const zero = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
      if (zero !== 0) {
        // At most four marked bytes: add them up.
        const bits = (zero >>> 7) & 0x01010101;
        count += (Math.imul(bits, 0x01010101) >>> 24) & 0xff;
      }
    }
    i += words * 4;
  }
  for (; i < to; i++) if (buf[i] === byte) count++;
  return count;
}
