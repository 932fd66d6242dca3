// Checks on what a read actually got, shared by the fs source and the search
// workers (a leaf module: no imports, so workers load nothing else).

/**
 * A file that shrank or grew between listing and reading was not searched as it
 * was listed: the read fails, rather than claiming every byte was searched.
 */
export function lengthMismatch(listed: number | undefined, read: number): Error | undefined {
  if (listed === undefined || listed === read) return undefined;
  return new Error(`changed during the scan: ${listed} bytes when listed, ${read} bytes read (${read < listed ? "truncated" : "grew"}); scan it again`);
}

/** What a file system entry is, in words, for messages about non-regular files. */
export function entryKind(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isDirectory()) return "a folder";
  return "not a regular file";
}
