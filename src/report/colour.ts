/** ANSI colours for human output, or none: one object with the same methods either way. */
export interface Paint {
  file(s: string): string;
  match(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: string, close: string) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export const COLOURS: Paint = {
  file: sgr("1;35", "22;39"),
  match: sgr("32", "39"),
  warn: sgr("33", "39"),
  bad: sgr("31", "39"),
  dim: sgr("2", "22"),
  bold: sgr("1", "22"),
};

const same = (s: string) => s;
export const NO_COLOURS: Paint = { file: same, match: same, warn: same, bad: same, dim: same, bold: same };

export const paint = (color: boolean): Paint => (color ? COLOURS : NO_COLOURS);

/**
 * Whether to colour: `--color always|never`, or on `auto` only on a terminal and
 * only when NO_COLOR is not set to something (https://no-color.org).
 */
export function wantColour(mode: "auto" | "always" | "never", stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === "always") return true;
  if (mode === "never") return false;
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/**
 * The width to fit human output to: COLUMNS when set, else the terminal's width.
 * Undefined when piped without COLUMNS (then each finding is one plain line).
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}
