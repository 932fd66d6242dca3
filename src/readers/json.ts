import type { Readable } from "node:stream";
import { decode, lines } from "./decode.js";
import { lineRecordsReadable, recordText, type FormatSpec } from "./spec.js";
import type { ReadOptions, Unit } from "./types.js";

type Frame = { type: "object"; key: string } | { type: "array"; index: number };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const keyPath = (key: string) => (IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/** JSONPath of the current position, and the column name (the path inside one record, arrays as [*]). */
function describe(stack: Frame[]): { jsonPath: string; column: string; record?: number } {
  let jsonPath = "$";
  let column = "";
  const recordDepth = stack[0]?.type === "array" ? 1 : 0;
  stack.forEach((f, depth) => {
    const step = f.type === "array" ? `[${f.index}]` : keyPath(f.key);
    jsonPath += step;
    if (depth >= recordDepth) column += f.type === "array" ? "[*]" : step;
  });
  const record = stack[0]?.type === "array" ? stack[0].index : undefined;
  return { jsonPath, column: column.replace(/^\./, "") || "$", record };
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
  let topLevel = -1;
  let done = false;
  // Advance the index of the enclosing array when a value starts in it.
  const enterValue = () => {
    const top = stack[stack.length - 1];
    if (top?.type === "array") top.index++;
    if (stack.length === 0) topLevel++;
  };
  const recordOf = (d: { record?: number }) => d.record ?? (topLevel > 0 ? topLevel : undefined);
  const units = (tokens: unknown): Unit[] => {
    const batch: Unit[] = [];
    if (!isMany(tokens)) return batch;
    for (const t of getManyValues(tokens) as { name: string; value?: unknown }[]) {
      if (done) break;
      switch (t.name) {
        case "startObject":
          enterValue();
          stack.push({ type: "object", key: "" });
          break;
        case "startArray":
          enterValue();
          stack.push({ type: "array", index: -1 });
          break;
        case "endObject":
        case "endArray":
          stack.pop();
          if (options.maxRowsPerTable !== undefined && stack.length === 1 && stack[0].type === "array" && stack[0].index + 1 >= options.maxRowsPerTable) done = true;
          break;
        case "keyValue": {
          const top = stack[stack.length - 1];
          if (top?.type === "object") top.key = String(t.value);
          const d = describe(stack);
          // Keys can be identifiers too ({"alice@example.com": {...}}); they are not a column's values.
          batch.push({ kind: "line", loc: { jsonPath: d.jsonPath, record: recordOf(d) }, text: String(t.value) });
          break;
        }
        case "stringValue":
        case "numberValue": {
          enterValue();
          const d = describe(stack);
          batch.push({ kind: "cell", table: "", column: d.column, text: String(t.value), loc: { jsonPath: d.jsonPath, record: recordOf(d), column: d.column } });
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
    throw new Error(`invalid JSON: ${(e as Error).message}`);
  }
}

/** Every key and string/number value of a parsed record, with its JSONPath and column (path inside the record). */
function* walk(value: unknown, path: string, column: string): Generator<{ jsonPath: string; column: string; text: string; key?: boolean }> {
  if (typeof value === "string" || typeof value === "number") {
    yield { jsonPath: path, column: column || "$", text: String(value) };
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* walk(value[i], `${path}[${i}]`, `${column}[*]`);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      yield { jsonPath: `${path}${keyPath(k)}`, column: "", text: k, key: true };
      const step = keyPath(k);
      yield* walk(v, `${path}${step}`, column ? column + step : step.replace(/^\./, ""));
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
      batch.push(...ndjsonLineUnits(l.text, l.line));
    }
    if (batch.length) yield batch;
  }
}

/** Units of one NDJSON line: its keys and values with their JSONPath; a line that is not JSON is still searched, as text. */
export function ndjsonLineUnits(text: string, line: number): Unit[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [{ kind: "line", loc: { line }, text }];
  }
  const units: Unit[] = [];
  for (const v of walk(parsed, "$", "")) {
    const loc = { line, jsonPath: v.jsonPath };
    if (v.key) units.push({ kind: "line", loc, text: v.text });
    else units.push({ kind: "cell", table: "", column: v.column, text: v.text, loc: { ...loc, column: v.column } });
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
  locate: (_head, sniffed) =>
    lineRecordsReadable(sniffed)
      ? {
          split: {},
          units: async function* (records, s) {
            const text = recordText(s);
            for await (const batch of records) {
              const units = batch.flatMap((r) => ndjsonLineUnits(text(r), r.line));
              if (units.length) yield units;
            }
          },
        }
      : undefined,
  read: (_item, stream, options) => readNdjson(stream, options),
};
