import { parse as parseCsv } from "csv-parse/sync";
import { headerNames, looksLikeHeader } from "./cells.js";
import { CSV_OPTIONS, recordUnits, sniffDelimiter } from "./csv.js";
import type { Sniffed } from "./decode.js";
import { ndjsonLineUnits } from "./json.js";
import type { LocatedRecord, SplitOptions } from "./locate.js";
import type { Unit } from "./types.js";

export type LocatableFormat = "csv" | "text" | "ndjson";

/** How records split for a format, when the fast locate path can serve it (ASCII-compatible text, line records). */
export function locatePlan(format: string, head: Buffer, sniffed: Sniffed, name: string): { split: SplitOptions; delimiter?: string; format: LocatableFormat } | undefined {
  if (sniffed.encoding !== "utf-8" && sniffed.encoding !== "windows-1252") return undefined;
  if (format === "text" || format === "ndjson") return { split: {}, format };
  if (format !== "csv") return undefined;
  const sample = new TextDecoder(sniffed.encoding).decode(head.subarray(sniffed.bom, 65536));
  const delimiter = sniffDelimiter(sample, /\.(tsv|tab)(\.|$)/i.test(name) ? "\t" : ",");
  return { split: { csv: { delimiter: delimiter.charCodeAt(0) }, withFirst: true }, delimiter, format };
}

/**
 * Units for the located records of a file: lines of text, CSV records
 * (parsed with the file's header), NDJSON records.
 */
export async function* locatedUnits(
  plan: NonNullable<ReturnType<typeof locatePlan>>,
  records: AsyncIterable<LocatedRecord[]>,
  sniffed: Sniffed,
): AsyncGenerator<Unit[]> {
  const decoder = new TextDecoder(sniffed.encoding);
  const decode = (r: LocatedRecord) => decoder.decode(r.index === 0 ? r.bytes.subarray(sniffed.bom) : r.bytes).replace(/\r$/, "");
  let headers: string[] = [];
  for await (const batch of records) {
    const units: Unit[] = [];
    for (const r of batch) {
      const text = decode(r);
      if (plan.format === "csv") {
        let parsed: string[];
        try {
          parsed = (parseCsv(text, { delimiter: plan.delimiter, ...CSV_OPTIONS }) as string[][])[0] ?? [];
        } catch (e) {
          throw new Error(`malformed CSV near line ${r.line}: ${(e as Error).message}`);
        }
        if (r.index === 0) {
          const hasHeader = looksLikeHeader(parsed);
          headers = headerNames(parsed, hasHeader, parsed.length);
          if (hasHeader) continue;
        }
        units.push(...recordUnits(parsed, r.index + 1, r.line, headers));
      } else if (plan.format === "text") {
        units.push({ kind: "line", loc: { line: r.line, offset: 0 }, text });
      } else {
        units.push(...ndjsonLineUnits(text, r.line));
      }
    }
    if (units.length) yield units;
  }
}
