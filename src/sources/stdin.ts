import { Readable } from "node:stream";
import type { Source, SourceSession } from "../engine/scanner.js";
import type { Enumerated } from "../types.js";

/** Standard input is kept in memory (never written to disk: straymap makes no copies); beyond this it is refused. */
export const STDIN_MAX_BYTES = 512 * 1024 * 1024;

/**
 * The PATH `-`: what is piped in, read as one item (its format told by its first
 * bytes). Read once and kept in memory, since a search may read an item twice.
 */
export class StdinSource implements Source {
  readonly kind = "fs";

  constructor(
    readonly id: string,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly maxBytes = STDIN_MAX_BYTES,
  ) {}

  async open(): Promise<SourceSession> {
    return { enumerate: () => this.enumerate(), close: async () => {} };
  }

  private async *enumerate(): AsyncGenerator<Enumerated> {
    const where = { source: this.id, uri: "stdin:", path: "-" };
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.input) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        size += b.length;
        if (size > this.maxBytes) {
          yield { settled: { ...where, status: "failed", error: `standard input is over ${this.maxBytes / 1024 / 1024} MiB: save it to a file and give that file's path` } };
          return;
        }
        chunks.push(b);
      }
    } catch (e) {
      yield { settled: { ...where, status: "failed", error: `standard input could not be read: ${(e as Error).message}` } };
      return;
    }
    const data = Buffer.concat(chunks);
    yield {
      item: {
        ...where,
        name: "stdin",
        size: data.length,
        open: async () => Readable.from([data]),
        openPrefix: async (bytes: number) => Readable.from([data.subarray(0, bytes)]),
      },
    };
  }
}
