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

