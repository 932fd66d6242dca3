import { Transform, type TransformCallback } from "node:stream";
import { SkipError } from "./errors.js";

export interface Limits {
  /** Files larger than this are skipped (bytes). */
  maxFileSize: number;
  /** Bytes one top-level item may expand to through archives and compression. */
  maxExpandedBytes: number;
  /** Highest expanded:compressed ratio before a member is treated as a zip bomb. */
  maxRatio: number;
  /** How deep archives and attachments nest before reading stops. */
  maxDepth: number;
  /** Members read from one zip archive. */
  maxEntries: number;
  /** A mail message is parsed in memory: larger ones are skipped (bytes). */
  maxMessageBytes: number;
  /** JSON nested deeper than this is not parsed (a gap, and an unlocated finding when she is in it). */
  maxNesting: number;
  /** Items read at the same time. */
  concurrency: number;
  /** Findings listed one by one per column of an item (or JSON field, mail part, lines); the rest are counted. */
  maxFindingsPerColumn: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileSize: 8 * 1024 ** 3,
  maxExpandedBytes: 2 * 1024 ** 3,
  maxRatio: 200,
  maxDepth: 4,
  maxEntries: 20_000,
  maxMessageBytes: 256 * 1024 ** 2,
  maxNesting: 1000,
  concurrency: 4,
  maxFindingsPerColumn: 100,
};

const MiB = 1024 * 1024;
export const formatBytes = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${n} B`;

/** Expansion budget shared by everything inside one top-level item. */
export class Budget {
  private expanded = 0;
  /** Bytes already charged per stream key: reading a member twice (find, then locate) is charged once. */
  private charged = new Map<string, number>();
  constructor(readonly limits: Limits) {}

  take(bytes: number): void {
    this.expanded += bytes;
    if (this.expanded > this.limits.maxExpandedBytes) {
      throw new SkipError(
        `expands to more than limits.maxExpandedBytes (${formatBytes(this.limits.maxExpandedBytes)})`,
      );
    }
  }

  /**
   * A pass-through that charges expanded bytes to the budget and stops a
   * stream whose output outgrows its input by more than maxRatio.
   * `compressedBytes` reports how much compressed input was consumed so far.
   */
  meter(key: string, compressedBytes: () => number): Transform {
    let out = 0;
    const budget = this;
    return new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        out += chunk.length;
        try {
          const before = budget.charged.get(key) ?? 0;
          if (out > before) {
            budget.take(out - before);
            budget.charged.set(key, out);
          }
          // Small inputs compress extremely well legitimately; judge the ratio past 1 MiB.
          const inBytes = Math.max(compressedBytes(), 1);
          if (out > MiB && out / inBytes > budget.limits.maxRatio) {
            throw new SkipError(
              `compression ratio over limits.maxRatio (${budget.limits.maxRatio}:1), possible zip bomb`,
            );
          }
        } catch (e) {
          return done(e as Error);
        }
        done(null, chunk);
      },
    });
  }
}
