import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { decode, type Sniffed, sniffEncoding } from "./decode.js";
import type { LocatedRecord } from "../search/locate.js";
import { lineRecordsReadable, recordText, type FormatSpec } from "./spec.js";
import { HEAD_ROWS, columnLetter, findHeader, headerNames, roleOf, type RowRole, type TableHead } from "./cells.js";
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

/**
 * Whether text whose name says nothing (.txt, .dat, .iif, no extension) is a
 * table: the same delimiter, the same number of times, in most of its first
 * records. Excel's "Unicode text" export (tab-separated) and QuickBooks IIF
 * (tab-separated, `!` rows starting each block) are tables; prose with a comma
 * per sentence is not. Returns the delimiter, or undefined for text.
 */
export function sniffTable(sample: string): string | undefined {
  const firstLine = sample.slice(0, sample.search(/\r|\n|$/));
  if (/^!\w+\t/.test(firstLine)) return "\t"; // IIF: a block header first
  if (/^\s*[{[<]/.test(sample)) return undefined; // JSON, NDJSON, XML and HTML have commas too
  let best: { d: string; share: number } | undefined;
  for (const [d, all] of delimiterCounts(sample)) {
    const counts = (all.length > 1 ? all.slice(0, -1) : all).slice(0, 50);
    if (counts.length < 2) continue;
    const tally = new Map<number, number>();
    for (const c of counts) if (c > 0) tally.set(c, (tally.get(c) ?? 0) + 1);
    const [mode, times] = [...tally].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
    const share = times / counts.length;
    if (mode === 0 || share < 0.8) continue;
    if ((d === "," || d === ";") && mode === 1 && !shortFields(sample, counts.length)) continue;
    if (!best || share > best.share) best = { d, share };
  }
  return best?.d;
}

/** Table-like lines: short fields, and lines that do not end like sentences. */
function shortFields(sample: string, records: number): boolean {
  const lines = sample.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "").slice(0, records);
  const sentences = lines.filter((l) => /[.!?]["')]?\s*$/.test(l)).length;
  const words = lines.map((l) => l.split(/\s+/).length);
  return sentences < lines.length / 2 && words.reduce((a, b) => a + b, 0) / lines.length < 12;
}

/** The first records of a sample, however the sample is cut (a quoted field left open at the cut is dropped). */
export function headRecords(sample: string, delimiter: string, max = HEAD_ROWS): string[][] {
  let text = sample;
  for (let tries = 0; tries < 6 && text.length > 0; tries++) {
    if (tries > 0) {
      const cut = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
      text = cut === -1 ? text : text.slice(0, cut + 1);
    }
    try {
      return (parseSync(text, { delimiter, ...CSV_OPTIONS, to: max }) as string[][]);
    } catch {
      text = text.slice(0, Math.floor(text.length / 2));
    }
  }
  return [];
}

/** What a delimited file looks like, read from its first records. */
export interface CsvLayout {
  delimiter: string;
  /** QuickBooks IIF: each `!NAME` row is the header of the NAME rows after it (several tables in one file). */
  blocks: boolean;
  /** Where the header is, and the column names (one table). */
  head: TableHead;
}

const isBlocks = (records: string[][]) => records.find((r) => r.some((c) => c.trim() !== ""))?.[0]?.startsWith("!") ?? false;

/** Layout of a delimited file from the start of its text (for the fast locate path, which only sees records with hits). */
export function csvLayout(sample: string, name: string): CsvLayout {
  const delimiter = sniffDelimiter(sample, /\.(tsv|tab|iif)(\.|$)/i.test(name) ? "\t" : ",");
  const records = headRecords(sample, delimiter);
  return { delimiter, blocks: isBlocks(records), head: findHeader(records) };
}

/** One unit per non-empty field of a record (`row` counts from 1 and includes title and header rows, as a spreadsheet shows them). */
export function recordUnits(record: string[], row: number, line: number, headers: string[], role?: RowRole, table = ""): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < record.length; i++) {
    const value = record[i];
    if (value === "") continue;
    const column = headers[i] ?? `col${i + 1}`;
    units.push({ kind: "cell", table, column, text: value, loc: { row, column, cell: `${columnLetter(i)}${row}`, line }, ...(role ? { role } : {}) });
  }
  return units;
}

/**
 * Turns the records of one delimited file into units, knowing its layout:
 * titles above the header, the header itself (searched like data, never
 * sampled as values) and footers are marked; IIF blocks name their columns
 * BLOCK.FIELD from the latest `!BLOCK` row.
 */
export class CsvTable {
  private names: string[];
  private readonly blockNames = new Map<string, string[]>();

  constructor(private readonly layout: CsvLayout) {
    this.names = layout.head.names;
  }

  /** Units of the record with this 0-based index, starting on `line`. */
  units(record: string[], index: number, line: number): { units: Unit[]; data: boolean } {
    if (record.length === 1 && record[0] === "") return { units: [], data: false };
    const row = index + 1;
    if (this.layout.blocks) return this.blockUnits(record, row, line);
    const role = roleOf(index, this.layout.head, record);
    if (role === "title") return { units: recordUnits(record, row, line, [], role), data: false };
    if (record.length > this.names.length) this.names = headerNames(this.names, true, record.length);
    return { units: recordUnits(record, row, line, this.names, role), data: role === undefined };
  }

  private blockUnits(record: string[], row: number, line: number): { units: Unit[]; data: boolean } {
    const first = record[0].trim();
    if (first.startsWith("!")) {
      const block = first.slice(1);
      const names = record.map((h, i) => (i === 0 ? first : `${block}.${h.trim() || `col${i + 1}`}`));
      this.blockNames.set(block, names);
      return { units: recordUnits(record, row, line, names, "header", block), data: false };
    }
    const names = this.blockNames.get(first) ?? [];
    return { units: recordUnits(record, row, line, names, undefined, first), data: true };
  }
}

export const CSV_OPTIONS = { relax_column_count: true, relax_quotes: true, skip_empty_lines: false } as const;

/** CSV/TSV/IIF in any delimiter and encoding, streamed, one unit per non-empty cell, a batch per chunk of text. */
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
  const fallback = /\.(tsv|tab|iif)(\.|$)/i.test(name) ? "\t" : ",";
  const delimiter = sniffDelimiter(head.slice(0, 65536), fallback);

  let batch: Unit[] = [];
  let table: CsvTable | undefined;
  // The first records wait until the header is found among them.
  const pending: { record: string[]; index: number; line: number }[] = [];
  let index = 0;
  let nextLine = 1;
  let dataRows = 0;
  let full = false;
  let failure: Error | undefined;
  const take = (record: string[], at: number, line: number) => {
    if (full) return;
    const { units, data } = table!.units(record, at, line);
    if (data && options.maxRowsPerTable !== undefined && ++dataRows > options.maxRowsPerTable) {
      full = true;
      return;
    }
    for (const u of units) batch.push(u);
  };
  const decide = () => {
    const records = pending.map((p) => p.record);
    table = new CsvTable({ delimiter, blocks: isBlocks(records), head: findHeader(records) });
    for (const p of pending.splice(0)) take(p.record, p.index, p.line);
  };
  const onRecord = (record: string[]) => {
    // Records arrive synchronously from parser.write(): no promise per record.
    const startLine = nextLine;
    nextLine += 1 + lineBreaksIn(record);
    const at = index++;
    if (table) take(record, at, startLine);
    else {
      pending.push({ record, index: at, line: startLine });
      if (pending.length >= HEAD_ROWS) decide();
    }
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
    if (!table) decide();
    if (batch.length) yield batch;
  } finally {
    await it.return?.();
    parser.destroy();
  }
}

/**
 * For the engine: whether an item that would otherwise be read as text
 * (.txt, .dat, no extension) holds a delimited table, judged from its first
 * bytes. Such an item is then read as CSV (cells in scan, columns in sweep);
 * prose stays text.
 */
export function isDelimitedText(head: Buffer, sniffed: Sniffed = sniffEncoding(head)): boolean {
  if (sniffed.binary) return false;
  const sample = new TextDecoder(sniffed.encoding).decode(head.subarray(sniffed.bom, 65536));
  return sniffTable(sample) !== undefined;
}

/**
 * The fields of one record without quotes or inner line breaks: split on the
 * delimiter, as the parser would (the parser costs far more per record, and a
 * file where she is on every row is parsed record by record). Undefined otherwise.
 */
export function splitPlain(record: string, delimiter: string): string[] | undefined {
  const end = record.endsWith("\r\n") ? record.length - 2 : record.endsWith("\n") ? record.length - 1 : record.length;
  const body = record.slice(0, end);
  if (body.includes('"') || body.includes("\n") || body.includes("\r")) return undefined;
  return body.split(delimiter);
}

/**
 * Fast path: the records of a CSV file that hold a candidate hit, parsed into
 * the units readCsv would give. The header (which may sit below title rows)
 * was found in the file's head, so only records with hits are needed.
 */
const UNITS_PER_BATCH = 512;

async function* locatedCsvUnits(records: AsyncIterable<LocatedRecord[]>, sniffed: Sniffed, layout: CsvLayout): AsyncGenerator<Unit[]> {
  const text = recordText(sniffed);
  const table = new CsvTable(layout);
  for await (const batch of records) {
    let units: Unit[] = [];
    for (const r of batch) {
      // A chunk may hold thousands of records with a hit: handed on a few hundred cells at a time, so they die young.
      if (units.length >= UNITS_PER_BATCH) {
        yield units;
        units = [];
      }
      let parsed: string[];
      try {
        const record = text(r);
        parsed = splitPlain(record, layout.delimiter) ?? (parseSync(record, { delimiter: layout.delimiter, ...CSV_OPTIONS }) as string[][])[0] ?? [];
      } catch (e) {
        throw new Error(`malformed CSV near line ${r.line}: ${(e as Error).message}`);
      }
      for (const u of table.units(parsed, r.index, r.line).units) units.push(u);
    }
    if (units.length) yield units;
  }
}

/** CSV, TSV, QuickBooks IIF and other delimited text: cells located by row, column name and cell reference. */
export const csvFormat: FormatSpec = {
  id: "csv",
  extensions: ["csv", "tsv", "psv", "tab", "iif"],
  contentTypes: ["text/csv", "text/tab-separated-values"],
  // Delimited text whose name says nothing (.dat, no extension): Excel's Unicode text, IIF, exports.
  sniff: (head) => isDelimitedText(head),
  plainText: true,
  tabular: true,
  prefixReadable: true,
  locate: (head, sniffed, name) => {
    if (!lineRecordsReadable(sniffed)) return undefined;
    const sample = new TextDecoder(sniffed.encoding).decode(head.subarray(sniffed.bom, 65536));
    const layout = csvLayout(sample, name);
    if (layout.blocks) return undefined; // IIF: each block's header must be read before its rows
    return { split: { csv: { delimiter: layout.delimiter.charCodeAt(0) } }, units: (records, s) => locatedCsvUnits(records, s, layout) };
  },
  read: (item, stream, options) => readCsv(stream, item.name, options),
};
