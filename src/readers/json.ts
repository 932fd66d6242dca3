import type { Readable } from "node:stream";
import { decode, lines } from "./decode.js";
import { lineLocate, type FormatSpec } from "./spec.js";
import { SkipError, type ReadOptions, type Unit } from "./types.js";
import { DEFAULT_LIMITS } from "../limits.js";

/**
 * An open object or array. `path` is the JSONPath of the container itself and
 * `col` its column (its path inside the record): a value's path is one step
 * more, so no position costs more than one string concatenation, however deep.
 */
type Frame = ({ type: "object"; key: string } | { type: "array"; index: number }) & { path: string; col: string; records: boolean };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const keyPath = (key: string) => (IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/** JSONPath and column of the value at the current position of `top` (the column is the path inside one record, arrays as [*]). */
function position(top: Frame | undefined): { jsonPath: string; column: string } {
  if (!top) return { jsonPath: "$", column: "" };
  if (top.type === "array") return { jsonPath: `${top.path}[${top.index}]`, column: top.records ? "" : `${top.col}[*]` };
  const step = keyPath(top.key);
  return { jsonPath: top.path + step, column: top.col + step };
}

const columnName = (column: string) => column.replace(/^\./, "") || "$";

/** Nesting past the limit stops the reader: a gap, never a stack or heap exhausted by a hostile file. */
function tooDeep(max: number): SkipError {
  return new SkipError(`JSON nested deeper than limits.maxNesting (${max})`);
}

/**
 * A JSON document (an array of records, an object, or concatenated values),
 * tokenised as it streams in: one unit per string or number value and per
 * key, located by record index and JSONPath.
 */
export async function* readJson(stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  const { text } = await decode(stream);
  // The tokenizer loads with the first JSON document.
  const [{ jsonParser }, { getManyValues, isMany, none }] = await Promise.all([import("stream-json/parser.js"), import("stream-chain/defs.js")]);
  // The parser as a plain function: text in, tokens out, no stream machinery per token.
  const tokenize = jsonParser({ packValues: true, streamValues: false, jsonStreaming: true }) as unknown as (input: unknown) => unknown;
  const stack: Frame[] = [];
  const maxNesting = options.budget?.limits.maxNesting ?? DEFAULT_LIMITS.maxNesting;
  let topLevel = -1;
  let done = false;
  // Advance the index of the enclosing array when a value starts in it.
  const enterValue = () => {
    const top = stack[stack.length - 1];
    if (top?.type === "array") top.index++;
    if (stack.length === 0) topLevel++;
  };
  const recordOf = () => (stack[0]?.type === "array" ? stack[0].index : topLevel > 0 ? topLevel : undefined);
  const open = (type: "object" | "array") => {
    enterValue();
    if (stack.length >= maxNesting) throw tooDeep(maxNesting);
    const top = stack[stack.length - 1];
    const at = position(top);
    const records = !top && type === "array";
    stack.push(type === "object" ? { type, key: "", path: at.jsonPath, col: at.column, records } : { type, index: -1, path: at.jsonPath, col: at.column, records });
  };
  const units = (tokens: unknown): Unit[] => {
    const batch: Unit[] = [];
    if (!isMany(tokens)) return batch;
    for (const t of getManyValues(tokens) as { name: string; value?: unknown }[]) {
      if (done) break;
      switch (t.name) {
        case "startObject":
          open("object");
          break;
        case "startArray":
          open("array");
          break;
        case "endObject":
        case "endArray":
          stack.pop();
          if (options.maxRowsPerTable !== undefined && stack.length === 1 && stack[0].type === "array" && stack[0].index + 1 >= options.maxRowsPerTable) done = true;
          break;
        case "keyValue": {
          const top = stack[stack.length - 1];
          if (top?.type === "object") top.key = String(t.value);
          // Keys can be identifiers too ({"alice@example.com": {...}}); they are not a column's values.
          batch.push({ kind: "line", loc: { jsonPath: position(top).jsonPath, record: recordOf() }, text: String(t.value) });
          break;
        }
        case "stringValue":
        case "numberValue": {
          enterValue();
          const d = position(stack[stack.length - 1]);
          const column = columnName(d.column);
          batch.push({ kind: "cell", table: "", column, text: String(t.value), loc: { jsonPath: d.jsonPath, record: recordOf(), column } });
          break;
        }
        case "nullValue":
        case "trueValue":
        case "falseValue":
          enterValue();
          break;
      }
    }
    return batch;
  };
  try {
    for await (const chunk of text) {
      const batch = units(tokenize(chunk));
      if (batch.length) yield batch;
      if (done) return;
    }
    const last = units(tokenize(none));
    if (last.length) yield last;
  } catch (e) {
    if (e instanceof SkipError) throw e;
    throw new Error(`invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * Every key and string/number value of a parsed record, with its JSONPath and
 * column (path inside the record). Iterative, with the nesting bounded: a deep
 * value must not exhaust the stack. Throws the SkipError of tooDeep past `maxNesting`.
 */
function* walk(root: unknown, maxNesting: number): Generator<{ jsonPath: string; column: string; text: string; key?: boolean }> {
  const todo: { value: unknown; path: string; column: string; depth: number }[] = [{ value: root, path: "$", column: "", depth: 0 }];
  while (todo.length) {
    const { value, path, column, depth } = todo.pop()!;
    if (depth === -1) {
      yield { jsonPath: path, column: "", text: (value as { key: string }).key, key: true };
      continue;
    }
    if (typeof value === "string" || typeof value === "number") {
      yield { jsonPath: path, column: column || "$", text: String(value) };
    } else if (value && typeof value === "object") {
      if (depth >= maxNesting) throw tooDeep(maxNesting);
      // Pushed in reverse, so values come out in document order.
      const next: typeof todo = [];
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) next.push({ value: value[i], path: `${path}[${i}]`, column: `${column}[*]`, depth: depth + 1 });
      } else {
        for (const [k, v] of Object.entries(value)) {
          const step = keyPath(k);
          next.push({ value: { key: k }, path: `${path}${step}`, column: "", depth: -1 });
          next.push({ value: v, path: `${path}${step}`, column: column ? column + step : step.replace(/^\./, ""), depth: depth + 1 });
        }
      }
      for (let i = next.length - 1; i >= 0; i--) todo.push(next[i]);
    }
  }
}

/** NDJSON / JSON Lines: one record per line, located by line and JSONPath. */
export async function* readNdjson(stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  const { text } = await decode(stream);
  let record = -1;
  for await (const lineBatch of lines(text)) {
    const batch: Unit[] = [];
    for (const l of lineBatch) {
      if (l.text.trim() === "") continue;
      record++;
      if (options.maxRowsPerTable !== undefined && record >= options.maxRowsPerTable) {
        if (batch.length) yield batch;
        return;
      }
      for (const u of ndjsonLineUnits(l.text, l.line, options.budget?.limits.maxNesting)) batch.push(u);
    }
    if (batch.length) yield batch;
  }
}

/** Units of one NDJSON line: its keys and values with their JSONPath; a line that is not JSON is still searched, as text. */
export function ndjsonLineUnits(text: string, line: number, maxNesting = DEFAULT_LIMITS.maxNesting): Unit[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [{ kind: "line", loc: { line }, text }];
  }
  const units: Unit[] = [];
  try {
    for (const v of walk(parsed, maxNesting)) {
      const loc = { line, jsonPath: v.jsonPath };
      if (v.key) units.push({ kind: "line", loc, text: v.text });
      else units.push({ kind: "cell", table: "", column: v.column, text: v.text, loc: { ...loc, column: v.column } });
    }
  } catch (e) {
    if (!(e instanceof SkipError)) throw e;
    // Nested past the limit: the record is still searched, as one line of text.
    return [{ kind: "line", loc: { line }, text }];
  }
  return units;
}

/** A JSON document: records and keys, located by record index and JSONPath. */
export const jsonFormat: FormatSpec = {
  id: "json",
  extensions: ["json"],
  contentTypes: ["application/json"],
  plainText: true,
  tabular: true,
  prefixReadable: false,
  read: (_item, stream, options) => readJson(stream, options),
};

/** One JSON value per line: records located by line, fast path by line records. */
export const ndjsonFormat: FormatSpec = {
  id: "ndjson",
  extensions: ["ndjson", "jsonl"],
  contentTypes: ["application/x-ndjson", "application/jsonl"],
  plainText: true,
  tabular: true,
  prefixReadable: true,
  locate: lineLocate(ndjsonLineUnits),
  read: (_item, stream, options) => readNdjson(stream, options),
};
