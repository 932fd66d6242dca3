import { describeZlibError } from "../readers/gzip.js";

const CODES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file (it may have been removed during the scan)",
  EISDIR: "is a folder, not a file",
  EMFILE: "too many open files",
  ELOOP: "too many levels of symbolic links",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset",
  ECONNREFUSED: "connection refused",
};

/** One line a person can act on: the cause in words, the system code in brackets. */
export function describeError(e: unknown): string {
  const err = e as Error & { code?: string };
  if (!(err instanceof Error)) return String(e);
  const zlib = describeZlibError(err);
  if (zlib) return zlib;
  if (err.code && CODES[err.code]) return `${CODES[err.code]} (${err.code})`;
  return err.message.replace(/\s+/g, " ").trim();
}

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
