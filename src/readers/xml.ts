import type { Readable } from "node:stream";
import { lazy } from "../lazy.js";

const saxes = lazy<typeof import("saxes")>("saxes");

export type XmlEvent =
  | { type: "open"; name: string; attrs: Record<string, string> }
  | { type: "text"; text: string }
  | { type: "close"; name: string };

/** Element names without their namespace prefix (`x:c` → `c`): some writers prefix everything. */
const local = (name: string) => name.slice(name.indexOf(":") + 1);

/** Stream an XML document as batches of open/text/close events, without building a tree. */
export async function* xmlEvents(stream: Readable): AsyncGenerator<XmlEvent[]> {
  const parser = new (saxes().SaxesParser)();
  let pending: XmlEvent[] = [];
  parser.on("opentag", (node) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(node.attributes)) attrs[k] = String(v);
    pending.push({ type: "open", name: local(node.name), attrs });
  });
  parser.on("text", (text) => pending.push({ type: "text", text }));
  parser.on("cdata", (text) => pending.push({ type: "text", text }));
  parser.on("closetag", (node) => pending.push({ type: "close", name: local(node.name) }));
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const chunk of stream) {
      parser.write(decoder.decode(chunk as Buffer, { stream: true }));
      if (pending.length) {
        const batch = pending;
        pending = [];
        yield batch;
      }
    }
    parser.write(decoder.decode());
    parser.close();
    if (pending.length) yield pending;
  } finally {
    stream.destroy();
  }
}

/** The value of an attribute whatever its namespace prefix (`r:id`, `ns2:id`). */
export function attr(attrs: Record<string, string>, name: string): string | undefined {
  if (name in attrs) return attrs[name];
  const key = Object.keys(attrs).find((k) => k.endsWith(`:${name}`));
  return key === undefined ? undefined : attrs[key];
}
