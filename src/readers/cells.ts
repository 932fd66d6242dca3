/** Column letters as spreadsheets show them: 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let s = "";
  let n = index + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** "C5" → { column: 2, row: 5 }. */
export function parseCellRef(ref: string): { column: number; row: number } | undefined {
  const m = /^([A-Z]+)(\d+)$/.exec(ref.toUpperCase());
  if (!m) return undefined;
  let col = 0;
  for (const ch of m[1]) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { column: col - 1, row: Number(m[2]) };
}

/** Sheet-qualified reference the way Excel writes it: Sheet2!C5, 'Q3 export'!C5. */
export function qualifiedRef(sheet: string | undefined, ref: string): string {
  if (!sheet) return ref;
  return /^[A-Za-z0-9_]+$/.test(sheet) ? `${sheet}!${ref}` : `'${sheet.replace(/'/g, "''")}'!${ref}`;
}

const DATA_LIKE = /@|^\s*[+\-]?[\d\s().,:/\-]+\s*$|^(true|false|null)$/i;

/**
 * Whether a first row names the columns: headers are short labels, not
 * addresses, numbers or dates. A file that starts with data gets col1, col2….
 */
export function looksLikeHeader(row: string[]): boolean {
  const filled = row.filter((c) => c.trim() !== "");
  if (filled.length === 0) return false;
  return filled.every((c) => c.length <= 80 && !DATA_LIKE.test(c));
}

export function headerNames(first: string[] | undefined, hasHeader: boolean, width: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < width; i++) {
    const h = hasHeader ? (first?.[i] ?? "").trim() : "";
    names.push(h || `col${i + 1}`);
  }
  return names;
}

/** What a row of a table is, when it is not data: the header, a title above it, a footer below the data. */
export type RowRole = "title" | "header" | "footer";

/** How many rows at the top of a table are looked at to find its header. */
export const HEAD_ROWS = 30;
/** How many of those rows may sit above the header (titles, company names, date ranges, blank lines). */
const MAX_TITLE_ROWS = 15;

export interface TableHead {
  /** 0-based index of the header among the table's rows, or -1 when the table starts with data. */
  header: number;
  /** Column names: the header's cells, or col1, col2… where it has none. */
  names: string[];
}

/** Number of cells up to the last non-empty one. */
function width(row: string[]): number {
  let w = row.length;
  while (w > 0 && row[w - 1].trim() === "") w--;
  return w;
}

const filledCells = (row: string[]) => row.filter((c) => c.trim() !== "").length;

/**
 * Whether a row can name the columns of the rows after it: mostly non-empty
 * short labels (not numbers, addresses or dates), no label twice, and the
 * rows that follow it no wider than it is (the column count holds).
 */
function headerAt(rows: string[][], i: number): boolean {
  const row = rows[i];
  const w = width(row);
  const filled = filledCells(row);
  if (w === 0 || !looksLikeHeader(row)) return false;
  // A title cell padded with delimiters ("Customer Contact List",,,,) is one cell of a wide row.
  if (filled < Math.max(1, Math.ceil(w * 0.6)) || (w > 1 && filled < 2)) return false;
  const labels = row.map((c) => c.trim().toLowerCase()).filter(Boolean);
  if (new Set(labels).size < labels.length * 0.8) return false;
  const after = rows.slice(i + 1).filter((r) => width(r) > 0 && !isFooter(r, w));
  if (after.length === 0) return i === 0;
  // A label that comes again in its own column below is a value: the table starts with data (psql -At).
  if (row.some((c, col) => c.trim() !== "" && after.some((r) => r[col]?.trim() === c.trim()))) return false;
  return after.slice(0, 10).every((r) => width(r) <= w);
}

/**
 * Find the header row among the first rows of a table (at most HEAD_ROWS):
 * the first row that looks like labels and after which the column count
 * holds. Report exports put titles, a company name, a date range or blank
 * lines above it; `psql -At` output and many dumps have none at all.
 */
export function findHeader(rows: string[][]): TableHead {
  const limit = Math.min(rows.length, MAX_TITLE_ROWS + 1);
  for (let i = 0; i < limit; i++) {
    const w = width(rows[i]);
    if (w === 0) continue;
    if (headerAt(rows, i)) return { header: i, names: headerNames(rows[i], true, w) };
    // A row as wide as the rows below it that is no header is data: the table has none.
    // (Titles above a header are narrower than the table: one cell, padded or not.)
    const below = Math.max(0, ...rows.slice(i + 1, i + 6).map(width));
    if (w >= below) break;
  }
  const w = Math.max(0, ...rows.map(width));
  return { header: -1, names: headerNames(undefined, false, w) };
}

const FOOTER = /^(grand\s+)?(total|totals|sub-?total|sum|summe|gesamt|totaux?|count|generated|report generated|printed|exported|run date|page\s+\d|end of report|fin du rapport)\b/i;

/**
 * Rows under the data that summarise or stamp the report ("Total", "Generated
 * on …", "Page 2 of 3"): searched in a scan, not sampled as column values.
 */
export function isFooter(row: string[], tableWidth: number): boolean {
  const filled = row.map((c) => c.trim()).filter(Boolean);
  if (filled.length === 0 || !FOOTER.test(filled[0])) return false;
  return filled.length <= Math.max(1, Math.ceil(tableWidth / 2));
}

/** The role of the row with this index, given the table's header, or undefined for data. */
export function roleOf(index: number, head: TableHead, row: string[]): RowRole | undefined {
  if (index < head.header) return "title";
  if (index === head.header) return "header";
  return isFooter(row, head.names.length) ? "footer" : undefined;
}
