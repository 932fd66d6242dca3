import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CoverageEntry, Finding, Item } from "../types.js";

/** What a sweep learnt from one top-level item, kept to answer again while the item is unchanged. */
export interface CachedItem {
  fingerprint: string;
  findings: Finding[];
  coverage: CoverageEntry[];
}

/** Size, modification time and ETag: the listing's word that an item has not changed. */
export function fingerprint(item: Item): string | undefined {
  if (item.size === undefined || (!item.mtime && !item.etag)) return undefined;
  return `${item.size}|${item.mtime?.toISOString() ?? ""}|${item.etag ?? ""}|${item.version?.id ?? ""}`;
}

/**
 * The incremental-sweep memory: one JSON file next to the store
 * (`.straymap/sweep-cache.json`). An unchanged item is not read again; its
 * earlier findings and coverage are reported, marked as such.
 */
export class SweepCache {
  private entries: Record<string, CachedItem>;
  private dirty = false;
  private savedAt = Date.now();

  private constructor(
    private readonly file: string,
    entries: Record<string, CachedItem>,
  ) {
    this.entries = entries;
  }

  static load(file: string, saveOnSignal = false): SweepCache {
    let entries: Record<string, CachedItem> = {};
    if (existsSync(file)) {
      try {
        entries = JSON.parse(readFileSync(file, "utf8")) as Record<string, CachedItem>;
      } catch {
        // A damaged cache only costs a full sweep.
        entries = {};
      }
    }
    const cache = new SweepCache(file, entries);
    if (saveOnSignal) {
      // Interrupted (Ctrl-C, a cron timeout): keep what was swept, so the next run resumes from there.
      for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
        process.once(signal, () => {
          cache.save();
          process.exit(code);
        });
      }
    }
    return cache;
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
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.entries));
    renameSync(tmp, this.file);
    this.dirty = false;
    this.savedAt = Date.now();
  }
}
