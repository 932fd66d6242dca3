/** How often, in bytes read, an item being read is reported to the progress line. */
const STEP = 1024 * 1024;

/** Passes an item's chunks through, telling `report` the bytes gone through at every MiB. */
export async function* metered(chunks: AsyncIterable<Buffer>, report: (bytes: number) => void): AsyncGenerator<Buffer> {
  let bytes = 0;
  let told = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    if (bytes - told >= STEP) report((told = bytes));
    yield chunk;
  }
}
