import { parse as parseCsv } from "csv-parse/sync";
import { CSV_OPTIONS, CsvTable, csvLayout, type CsvLayout } from "./csv.js";
import type { Sniffed } from "./decode.js";
import { ndjsonLineUnits } from "./json.js";
import type { LocatedRecord, SplitOptions } from "./locate.js";
import type { Unit } from "./types.js";

export type LocatableFormat = "csv" | "text" | "ndjson";

/** How records split for a format, when the fast locate path can serve it (ASCII-compatible text, line records). */
export function locatePlan(format: string, head: Buffer, sniffed: Sniffed, name: string): { split: SplitOptions; delimiter?: string; layout?: CsvLayout; format: LocatableFormat } | undefined {
  if (sniffed.encoding !== "utf-8" && sniffed.encoding !== "windows-1252") return undefined;
  if (format === "text" || format === "ndjson") return { split: {}, format };
  if (format !== "csv") return undefined;
  const sample = new TextDecoder(sniffed.encoding).decode(head.subarray(sniffed.bom, 65536));
  // The header (which may sit below title rows) is found in the head: only records with hits come later.
  const layout = csvLayout(sample, name);
  if (layout.blocks) return undefined; // IIF: each block's header must be read before its rows
  return { split: { csv: { delimiter: layout.delimiter.charCodeAt(0) } }, delimiter: layout.delimiter, layout, format };
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
  const table = plan.layout ? new CsvTable(plan.layout) : undefined;
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
        units.push(...table!.units(parsed, r.index, r.line).units);
      } else if (plan.format === "text") {
        units.push({ kind: "line", loc: { line: r.line, offset: 0 }, text });
      } else {
        units.push(...ndjsonLineUnits(text, r.line));
      }
    }
    if (units.length) yield units;
  }
}
