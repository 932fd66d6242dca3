import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { decode } from "./decode.js";
import { columnLetter, headerNames, looksLikeHeader } from "./cells.js";
import type { ReadOptions, Unit } from "./types.js";

const CANDIDATES = [",", ";", "\t", "|"] as const;

/** Count a delimiter in one line, ignoring what sits inside double quotes. */
function countOutsideQuotes(line: string, delimiter: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === delimiter) n++;
  }
  return n;
}

/**
 * Pick the delimiter that splits the first lines most consistently: the one
 * present on every sampled line with the highest minimum count.
 */
export function sniffDelimiter(sample: string, fallback = ","): string {
  const rows = sample.split(/\r\n|\n|\r/).filter((l) => l.trim() !== "").slice(0, 20);
  // The last line of a sample may be cut short.
  if (rows.length > 2) rows.pop();
  let best = fallback;
  let bestScore = 0;
  for (const d of CANDIDATES) {
    const counts = rows.map((r) => countOutsideQuotes(r, d));
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

/** CSV/TSV in any delimiter and encoding, streamed record by record, one unit per non-empty cell. */
export async function* readCsv(stream: Readable, name: string, options: ReadOptions): AsyncGenerator<Unit> {
  const { text } = await decode(stream);
  const it = text[Symbol.asyncIterator]();
  // Gather enough text to see the delimiter; keep it to feed the parser.
  let head = "";
  while (head.length < 16384) {
    const r = await it.next();
    if (r.done) break;
    head += r.value;
  }
  const fallback = /\.(tsv|tab)(\.|$)/i.test(name) ? "\t" : ",";
  const delimiter = sniffDelimiter(head.slice(0, 65536), fallback);
  async function* rest(): AsyncGenerator<string> {
    if (head) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  const parser = Readable.from(rest()).pipe(
    parse({ delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, info: true }),
  );
  let headers: string[] | undefined;
  let hasHeader = false;
  let recordIndex = 0;
  let nextLine = 1;
  let dataRows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const startLine = nextLine;
      nextLine = info.lines + 1;
      const row = ++recordIndex;
      if (row === 1) {
        hasHeader = looksLikeHeader(record);
        headers = headerNames(record, hasHeader, record.length);
        if (hasHeader) continue;
      }
      if (record.length === 1 && record[0] === "") continue;
      if (options.maxRowsPerTable !== undefined && ++dataRows > options.maxRowsPerTable) break;
      if (headers && record.length > headers.length) headers = headerNames(headers, true, record.length);
      for (let i = 0; i < record.length; i++) {
        const value = record[i];
        if (value === "") continue;
        const column = headers![i];
        yield {
          kind: "cell",
          table: "",
          column,
          text: value,
          loc: { row, column, cell: `${columnLetter(i)}${row}`, line: startLine },
        };
      }
    }
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number };
    if (err.code?.startsWith("CSV_")) throw new Error(`malformed CSV near line ${err.lines ?? nextLine}: ${err.message}`);
    throw e;
  } finally {
    parser.destroy();
  }
}
