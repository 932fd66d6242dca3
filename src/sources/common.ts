import picomatch from "picomatch";
import { ConfigError } from "../errors.js";
import { memo } from "../lazy.js";
import { IgnoreRules } from "./ignore-file.js";

/**
 * What every source shares: which paths to read (include/exclude globs, with the
 * same syntax and skip reasons everywhere) and how API calls are retried.
 */

export interface PathFilterSettings {
  include?: string[];
  exclude?: string[];
  /** Excludes that apply unless the user says otherwise (e.g. node_modules for folders). */
  defaultExclude?: string[];
  /** Where the globs come from, for error messages ("sources[2].include"). */
  where?: string;
  /**
   * An ignore file in gitignore syntax (a folder source's `.straymapignore`), read
   * when the first path is checked; none when it does not exist.
   */
  ignoreFile?: string;
}

/** Returns why a path is not read (a skip reason), or undefined when it is to be read. */
export type PathFilter = (path: string) => string | undefined;

function compile(glob: string, where: string): picomatch.Matcher {
  // picomatch accepts almost anything; a glob with unbalanced brackets or braces matches nothing, silently.
  const balanced = (open: string, close: string) => {
    let depth = 0;
    for (let i = 0; i < glob.length; i++) {
      if (glob[i] === "\\") i++;
      else if (glob[i] === open) depth++;
      else if (glob[i] === close && depth > 0) depth--;
    }
    return depth === 0;
  };
  if (!glob.trim() || !balanced("[", "]") || !balanced("{", "}") || !balanced("(", ")")) {
    throw new ConfigError(`${where}: "${glob}" is not a valid glob (unbalanced brackets, or empty)`);
  }
  // A glob without a slash matches at any depth (as .gitignore does): "*.bak" leaves out every .bak file.
  return picomatch(glob, { dot: true, matchBase: !glob.includes("/") });
}

/** One way for every source to apply include/exclude globs (and an ignore file) to paths inside it (relative, "/"-separated). */
export function pathFilter(s: PathFilterSettings, kind: "file" | "folder" = "file"): PathFilter {
  const where = s.where ?? "glob";
  const exclude = [...(s.defaultExclude ?? []), ...(s.exclude ?? [])].map((glob) => ({ glob, match: compile(glob, `${where} exclude`) }));
  const include = s.include?.length && kind === "file" ? s.include.map((glob) => compile(glob, `${where} include`)) : undefined;
  const ignore = s.ignoreFile ? memo(() => IgnoreRules.load(s.ignoreFile!)) : undefined;
  return (path) => {
    const excluded = exclude.find((x) => x.match(path));
    if (excluded) return `excluded by ${excluded.glob}`;
    const ignored = ignore?.()?.reason(path, kind === "folder");
    if (ignored) return ignored;
    if (include && !include.some((m) => m(path))) return "not matched by include";
    return undefined;
  };
}

/** A folder is worth entering unless an exclude glob (or the ignore file) leaves it out; include globs apply to files only. */
export function folderFilter(s: PathFilterSettings): PathFilter {
  return pathFilter(s, "folder");
}

/**
 * One retry policy for every API source. Each client library's own retry machinery
 * is configured from it (gaxios for Google, the Graph client's RetryHandler, the
 * AWS SDK's standard mode): no source writes its own loop.
 */
export const RETRY = {
  /** Tries in all, the first included. */
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  /** Throttling and server errors worth another try. */
  statuses: [408, 429, 500, 502, 503, 504] as readonly number[],
  /** Google answers some rate limits with 403 and one of these reasons. */
  rateLimit403Reasons: ["userRateLimitExceeded", "rateLimitExceeded", "dailyLimitExceeded"] as readonly string[],
};

/** A `Retry-After` header (seconds, or an HTTP date) in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === "") return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Number(value) * 1000, RETRY.maxDelayMs);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), RETRY.maxDelayMs);
}

/** Exponential backoff with jitter for the n-th retry (1-based), within the policy's bounds. */
export function backoffMs(retry: number): number {
  const ceiling = Math.min(RETRY.baseDelayMs * 2 ** (retry - 1), RETRY.maxDelayMs);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
