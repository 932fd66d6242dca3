import type { Readable } from "node:stream";
import { decode, lines } from "./decode.js";
import { lineLocate, type FormatSpec } from "./spec.js";
import type { Unit } from "./types.js";

/** Plain text, logs, SQL dumps, HTML, XML, YAML…: one unit per line. */
export async function* readText(stream: Readable): AsyncGenerator<Unit[]> {
  const { text } = await decode(stream);
  for await (const batch of lines(text)) {
    yield batch.map((l): Unit => ({ kind: "line", loc: { line: l.line, offset: l.offset }, text: l.text }));
  }
}

/** Any text: logs, SQL dumps, HTML, XML, YAML, and what no other format claims. */
export const textFormat: FormatSpec = {
  id: "text",
  extensions: ["txt", "log", "sql", "md", "markdown", "html", "htm", "xml", "yaml", "yml", "ini", "conf", "cfg", "env", "properties", "vcf", "ics", "out", "err", "dump"],
  contentTypes: ["text/plain", "text/html", "text/markdown", "application/sql"],
  plainText: true,
  tabular: false,
  prefixReadable: false,
  locate: lineLocate((text, line) => [{ kind: "line", loc: { line, offset: 0 }, text }]),
  read: (_item, stream) => readText(stream),
};
