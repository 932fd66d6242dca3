import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { parse as parseCsv } from "csv-parse/sync";
import { decode, type Sniffed } from "./decode.js";
import type { LocatedRecord } from "../search/locate.js";
import { lineRecordsReadable, recordText, type FormatSpec } from "./spec.js";
import { columnLetter, headerNames, looksLikeHeader } from "./cells.js";
import type { ReadOptions, Unit } from "./types.js";

const CANDIDATES = [",", ";", "\t", "|"] as const;

/** Split a sample into records, keeping line breaks that sit inside quotes, and count each delimiter outside quotes. */
function delimiterCounts(sample: string): Map<string, number[]> {
  const counts = new Map<string, number[]>(CANDIDATES.map((d) => [d, [0]]));
  let quoted = false;
  let filled = false;
  for (let i = 0; i < sample.length; i++) {
    const ch = sample[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) {
      if (filled) for (const c of counts.values()) c.push(0);
      filled = false;
    } else if (!quoted) {
      filled = true;
      const c = counts.get(ch);
      if (c) c[c.length - 1]++;
    }
  }
  return counts;
}

/**
 * Pick the delimiter that splits the first records most consistently: the
 * one present in every sampled record with the highest minimum count.
 */
export function sniffDelimiter(sample: string, fallback = ","): string {
  let best = fallback;
  let bestScore = 0;
  for (const [d, all] of delimiterCounts(sample)) {
    // The last entry is either the empty record after the final newline or a record the sample cut short.
    const counts = (all.length > 1 ? all.slice(0, -1) : all).slice(0, 20);
    const min = Math.min(...counts);
    const consistent = counts.filter((c) => c === counts[0]).length / counts.length;
    const score = min * (0.5 + consistent);
    if (min > 0 && score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** Line breaks inside the (quoted) fields of a record: CRLF, LF and CR count as one each, as an editor shows them. */
function lineBreaksIn(record: string[]): number {
  let n = 0;
  for (const field of record) {
    if (field.indexOf("\n") === -1 && field.indexOf("\r") === -1) continue;
    n += field.match(/\r\n|\r|\n/g)!.length;
  }
  return n;
}

/** One unit per non-empty field of a record (`row` counts from 1, the header included). */
export function recordUnits(record: string[], row: number, line: number, headers: string[]): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < record.length; i++) {
    const value = record[i];
    if (value === "") continue;
    const column = headers[i] ?? `col${i + 1}`;
    units.push({ kind: "cell", table: "", column, text: value, loc: { row, column, cell: `${columnLetter(i)}${row}`, line } });
  }
  return units;
}

export const CSV_OPTIONS = { relax_column_count: true, relax_quotes: true, skip_empty_lines: false } as const;

/** CSV/TSV in any delimiter and encoding, streamed, one unit per non-empty cell, a batch per chunk of text. */
export async function* readCsv(stream: Readable, name: string, options: ReadOptions): AsyncGenerator<Unit[]> {
  const { text } = await decode(stream);
  const it = text[Symbol.asyncIterator]();
  // Gather enough text to see the delimiter; it is fed to the parser first.
  let head = "";
  while (head.length < 16384) {
    const r = await it.next();
    if (r.done) break;
    head += r.value;
  }
  const fallback = /\.(tsv|tab)(\.|$)/i.test(name) ? "\t" : ",";
  const delimiter = sniffDelimiter(head.slice(0, 65536), fallback);

  let batch: Unit[] = [];
  let headers: string[] | undefined;
  let hasHeader = false;
  let row = 0;
  let nextLine = 1;
  let dataRows = 0;
  let full = false;
  let failure: Error | undefined;
  const onRecord = (record: string[]) => {
    // Records arrive synchronously from parser.write(): no promise per record.
    const startLine = nextLine;
    nextLine += 1 + lineBreaksIn(record);
    row++;
    if (full) return null;
    if (row === 1) {
      hasHeader = looksLikeHeader(record);
      headers = headerNames(record, hasHeader, record.length);
      if (hasHeader) return null;
    }
    if (record.length === 1 && record[0] === "") return null;
    if (options.maxRowsPerTable !== undefined && ++dataRows > options.maxRowsPerTable) {
      full = true;
      return null;
    }
    if (record.length > headers!.length) headers = headerNames(headers, true, record.length);
    batch.push(...recordUnits(record, row, startLine, headers!));
    return null;
  };
  const parser = parse({ delimiter, ...CSV_OPTIONS, on_record: onRecord });
  parser.on("error", (e: Error) => (failure ??= e));
  parser.resume();
  const fail = (e: Error & { code?: string; lines?: number }): Error =>
    e.code?.startsWith("CSV_") ? new Error(`malformed CSV near line ${e.lines ?? nextLine}: ${e.message}`) : e;
  try {
    let chunk: string | undefined = head;
    while (chunk !== undefined && !full) {
      if (chunk) parser.write(chunk);
      if (failure) throw fail(failure);
      if (batch.length) {
        yield batch;
        batch = [];
      }
      const r = await it.next();
      chunk = r.done ? undefined : r.value;
    }
    if (!full) {
      await new Promise<void>((resolve) => parser.end(resolve));
      if (failure) throw fail(failure);
    }
    if (batch.length) yield batch;
  } finally {
    await it.return?.();
    parser.destroy();
  }
}

/**
 * Fast path: the records of a CSV file that hold a candidate hit (and its
 * first record, for the header), parsed into the units readCsv would give.
 */
async function* locatedCsvUnits(records: AsyncIterable<LocatedRecord[]>, sniffed: Sniffed, delimiter: string): AsyncGenerator<Unit[]> {
  const text = recordText(sniffed);
  let headers: string[] = [];
  for await (const batch of records) {
    const units: Unit[] = [];
    for (const r of batch) {
      let parsed: string[];
      try {
        parsed = (parseCsv(text(r), { delimiter, ...CSV_OPTIONS }) as string[][])[0] ?? [];
      } catch (e) {
        throw new Error(`malformed CSV near line ${r.line}: ${(e as Error).message}`);
      }
      if (r.index === 0) {
        const hasHeader = looksLikeHeader(parsed);
        headers = headerNames(parsed, hasHeader, parsed.length);
        if (hasHeader) continue;
      }
      units.push(...recordUnits(parsed, r.index + 1, r.line, headers));
    }
    if (units.length) yield units;
  }
}

/** CSV, TSV and other delimited text: cells located by row, column name and cell reference. */
export const csvFormat: FormatSpec = {
  id: "csv",
  extensions: ["csv", "tsv", "psv", "tab"],
  contentTypes: ["text/csv", "text/tab-separated-values"],
  plainText: true,
  tabular: true,
  prefixReadable: true,
  locate: (head, sniffed, name) => {
    if (!lineRecordsReadable(sniffed)) return undefined;
    const sample = new TextDecoder(sniffed.encoding).decode(head.subarray(sniffed.bom, 65536));
    const delimiter = sniffDelimiter(sample, /\.(tsv|tab)(\.|$)/i.test(name) ? "\t" : ",");
    return { split: { csv: { delimiter: delimiter.charCodeAt(0) }, withFirst: true }, units: (records, s) => locatedCsvUnits(records, s, delimiter) };
  },
  read: (item, stream, options) => readCsv(stream, item.name, options),
};
