import type { Readable } from "node:stream";
import { decode, lines } from "./decode.js";
import type { Unit } from "./types.js";

/** Plain text, logs, SQL dumps, HTML, XML, YAML…: one unit per line. */
export async function* readText(stream: Readable): AsyncGenerator<Unit[]> {
  const { text } = await decode(stream);
  for await (const batch of lines(text)) {
    yield batch.map((l): Unit => ({ kind: "line", loc: { line: l.line, offset: l.offset }, text: l.text }));
  }
}
