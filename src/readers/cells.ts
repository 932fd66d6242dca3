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
