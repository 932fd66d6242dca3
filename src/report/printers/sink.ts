/**
 * Batches small writes (one per finding) into large ones: a million findings are
 * a few hundred writes, not a million. Pending text goes out after a moment even
 * when the batch is not full, so a reader at the other end of a pipe sees findings
 * as they are made; `flush` writes the rest at once.
 */
export class Sink {
  private pending: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly before?: () => void,
    private readonly limit = 64 * 1024,
  ) {}

  write(text: string): void {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= this.limit) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 100).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.size === 0 && this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.size = 0;
    this.before?.();
    this.out.write(text);
  }
}

/** The members of an object as indented JSON lines without the braces, to close a document written in parts. */
export function jsonMembers(value: object, pad: string): string {
  const lines = JSON.stringify(value, null, 2).split("\n");
  return lines
    .slice(1, -1)
    .map((l) => pad + l.slice(2))
    .join("\n");
}
