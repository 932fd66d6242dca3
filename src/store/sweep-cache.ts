import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { SourceState } from "../engine/scanner.js";
import type { CoverageEntry, Finding, Item } from "../types.js";

/** What a sweep learnt from one top-level item, kept to answer again while the item is unchanged. */
export interface CachedItem {
  fingerprint: string;
  findings: Finding[];
  coverage: CoverageEntry[];
}

/** Size, modification time and ETag: the listing's word that an item has not changed. */
export function fingerprint(item: Item): string | undefined {
  // Without a size, only an etag says the content is the same (API items: a Drive export's version, a Gmail id).
  if (item.size === undefined ? !item.etag : !item.mtime && !item.etag) return undefined;
  return `${item.size}|${item.mtime?.toISOString() ?? ""}|${item.etag ?? ""}|${item.loc?.versionId ?? ""}`;
}

/**
 * The incremental-sweep memory: one JSON file next to the store
 * (`.straymap/sweep-cache.json`). An unchanged item is not read again; its
 * earlier findings and coverage are reported, marked as such.
 */
interface CacheFile {
  version: 2;
  items: Record<string, CachedItem>;
  /** Per-source state: provider cursors (changes tokens, history ids, delta links). */
  sources: Record<string, Record<string, unknown>>;
}

export class SweepCache {
  private entries: Record<string, CachedItem>;
  private sources: Record<string, Record<string, unknown>> = {};
  private dirty = false;
  private savedAt = Date.now();

  private constructor(
    private readonly file: string,
    entries: Record<string, CachedItem>,
  ) {
    this.entries = entries;
  }

  static load(file: string): SweepCache {
    let parsed: Partial<CacheFile> | Record<string, CachedItem> = {};
    if (existsSync(file)) {
      try {
        parsed = JSON.parse(readFileSync(file, "utf8")) as typeof parsed;
      } catch {
        // A damaged cache only costs a full sweep.
        parsed = {};
      }
    }
    // The first format was the bare item map.
    const current = (parsed as Partial<CacheFile>).version === 2 ? (parsed as CacheFile) : { version: 2 as const, items: parsed as Record<string, CachedItem>, sources: {} };
    const cache = new SweepCache(file, current.items ?? {});
    cache.sources = current.sources ?? {};
    return cache;
  }

  /** The per-source state a source keeps between sweeps (its provider's cursors). */
  stateOf(source: string): SourceState {
    return {
      get: <T>(key: string) => this.sources[source]?.[key] as T | undefined,
      set: (key, value) => {
        (this.sources[source] ??= {})[key] = value;
        this.dirty = true;
      },
    };
  }

  private static key(source: string, uri: string): string {
    return `${source}\u0000${uri}`;
  }

  get(item: Item): CachedItem | undefined {
    const print = fingerprint(item);
    const hit = print ? this.entries[SweepCache.key(item.source, item.uri)] : undefined;
    return hit && hit.fingerprint === print ? hit : undefined;
  }

  set(item: Item, findings: Finding[], coverage: CoverageEntry[]): void {
    const print = fingerprint(item);
    if (!print) return;
    this.entries[SweepCache.key(item.source, item.uri)] = { fingerprint: print, findings, coverage };
    this.dirty = true;
    // Saved as it goes: an interrupted sweep resumes where it stopped instead of starting over.
    if (Date.now() - this.savedAt > 5000) this.save();
  }

  save(): void {
    if (!this.dirty) return;
    // Beside the store: its folder and files are for the owner only (0700/0600), whatever the umask.
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const content: CacheFile = { version: 2, items: this.entries, sources: this.sources };
    writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
    this.dirty = false;
    this.savedAt = Date.now();
  }
}
