import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { fingerprint } from "../report/published.js";
import type { ScanEvent } from "../types.js";

/**
 * Fingerprints of findings already known and accepted (`sweep --baseline FILE`).
 * FILE is a `-f json` or `-f ndjson` output of an earlier run, or one fingerprint
 * a line (`#` starts a comment): keep the columns you accept, delete the rest.
 */
export function loadBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--baseline ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const known = new Set<string>();
  const trimmed = text.trim();
  if (trimmed.startsWith("{") && !trimmed.includes("\n{")) {
    // One JSON document (-f json).
    try {
      const doc = JSON.parse(trimmed) as { findings?: { fingerprint?: string }[] };
      for (const f of doc.findings ?? []) if (f.fingerprint) known.add(f.fingerprint);
      return known;
    } catch {
      // not one document: read it line by line below
    }
  }
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("{")) {
      let record: { type?: string; fingerprint?: string };
      try {
        record = JSON.parse(line);
      } catch {
        throw new UsageError(`--baseline ${file}: line ${i + 1} is neither a fingerprint nor a JSON record`);
      }
      if (record.fingerprint && (record.type === undefined || record.type === "finding")) known.add(record.fingerprint);
      continue;
    }
    const fp = line.split(/\s+/)[0];
    if (!/^[0-9a-f]{16}$/.test(fp)) throw new UsageError(`--baseline ${file}: line ${i + 1}: "${fp.slice(0, 40)}" is not a fingerprint (16 hex digits)`);
    known.add(fp);
  }
  return known;
}

/** Lets through every event but the findings the baseline knows. */
export function baselineFilter(known: Set<string>): (e: ScanEvent) => boolean {
  return (e) => e.type !== "finding" || !known.has(fingerprint(e.finding));
}
