/**
 * Plain-text layout for human output: wrap a cell to a width (never cutting
 * anything off) and lay cells side by side. Widths count UTF-16 units, which is
 * right for the ASCII, Latin and → characters straymap prints.
 */

/** Split text into lines of at most `width` characters, breaking at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let rest = paragraph;
    while (rest.length > width) {
      const space = rest.lastIndexOf(" ", width);
      const cut = space > width / 3 ? space : width;
      lines.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).replace(/^ /, "");
    }
    lines.push(rest);
  }
  return lines;
}

export interface Cell {
  text: string;
  /** Applied to each wrapped line of the cell (colour), after the width is measured. */
  paint?: (s: string) => string;
}

/** Cells side by side in columns of the given widths, each wrapped in its column; a gap of two spaces. */
export function row(cells: Cell[], widths: number[], indent = ""): string {
  const wrapped = cells.map((c, i) => wrap(c.text, widths[i]));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let l = 0; l < height; l++) {
    let line = indent;
    for (let i = 0; i < cells.length; i++) {
      const text = wrapped[i][l] ?? "";
      const last = i === cells.length - 1;
      const padded = last ? text : text.padEnd(widths[i]);
      line += (text && cells[i].paint ? cells[i].paint!(text) + padded.slice(text.length) : padded) + (last ? "" : "  ");
    }
    out.push(line.trimEnd());
  }
  return out.join("\n");
}
