import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { decode } from "./decode.js";
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
