import { Readable } from "node:stream";
import parser from "stream-json/parser.js";
import { decode, lines } from "./decode.js";
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
 * streamed token by token: one unit per string or number value and per key,
 * located by record index and JSONPath.
 */
export async function* readJson(stream: Readable, options: ReadOptions): AsyncGenerator<Unit> {
  const { text } = await decode(stream);
  const tokens = Readable.from(text).pipe(parser.asStream({ packValues: true, streamValues: false, jsonStreaming: true }));
  const stack: Frame[] = [];
  let topLevel = -1;
  // Advance the index of the enclosing array when a value starts in it.
  const enterValue = () => {
    const top = stack[stack.length - 1];
    if (top?.type === "array") top.index++;
    if (stack.length === 0) topLevel++;
  };
  try {
    for await (const t of tokens as AsyncIterable<{ name: string; value?: unknown }>) {
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
          if (options.maxRowsPerTable !== undefined && stack.length === 1 && stack[0].type === "array" && stack[0].index + 1 >= options.maxRowsPerTable) return;
          break;
        case "keyValue": {
          const top = stack[stack.length - 1];
          if (top?.type === "object") top.key = String(t.value);
          const d = describe(stack);
          // Keys can be identifiers too ({"alice@example.com": {...}}); they are not a column's values.
          yield { kind: "line", loc: { jsonPath: d.jsonPath, record: d.record ?? (topLevel > 0 ? topLevel : undefined) }, text: String(t.value) };
          break;
        }
        case "stringValue":
        case "numberValue": {
          enterValue();
          const d = describe(stack);
          const record = d.record ?? (topLevel > 0 ? topLevel : undefined);
          yield { kind: "cell", table: "", column: d.column, text: String(t.value), loc: { jsonPath: d.jsonPath, record, column: d.column } };
          break;
        }
        case "nullValue":
        case "trueValue":
        case "falseValue":
          enterValue();
          break;
      }
    }
  } catch (e) {
    throw new Error(`invalid JSON: ${(e as Error).message}`);
  } finally {
    tokens.destroy();
  }
}

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

/** NDJSON / JSON Lines: one record per line, located by line, record index and JSONPath. */
export async function* readNdjson(stream: Readable, options: ReadOptions): AsyncGenerator<Unit> {
  const { text } = await decode(stream);
  let record = -1;
  for await (const l of lines(text)) {
    if (l.text.trim() === "") continue;
    record++;
    if (options.maxRowsPerTable !== undefined && record >= options.maxRowsPerTable) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(l.text);
    } catch {
      // A line that is not JSON is still searched, as text.
      yield { kind: "line", loc: { line: l.line, record }, text: l.text };
      continue;
    }
    for (const v of walk(parsed, "$", "")) {
      const loc = { line: l.line, record, jsonPath: v.jsonPath };
      if (v.key) yield { kind: "line", loc, text: v.text };
      else yield { kind: "cell", table: "", column: v.column, text: v.text, loc: { ...loc, column: v.column } };
    }
  }
}
