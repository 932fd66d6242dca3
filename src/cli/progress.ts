import type { ScanEvent } from "../types.js";

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/**
 * One progress line on stderr (a terminal): items done, bytes read (counting the
 * items still being read, so one big file moves the line too), findings (with
 * those counted past limits.maxFindingsPerColumn), items skipped or failed, and
 * the item last heard of. Drawn only once the run has taken more than a moment,
 * redrawn at most ten times a second; `clear` takes it off the screen so a
 * printer can write rows to the same terminal.
 */
export class ProgressLine {
  private readonly stream: NodeJS.WritableStream & { columns?: number };
  private readonly delayMs: number;
  private readonly started = Date.now();
  private shown = false;
  private drawnAt = 0;
  private items = 0;
  private bytes = 0;
  /** Bytes read and findings counted past the cap so far, of the items not finished yet, by uri. */
  private reading = new Map<string, { bytes: number; counted: number }>();
  private findings = 0;
  private problems = 0;
  private last = "";

  constructor({ stream = process.stderr, delayMs = 1000 }: { stream?: NodeJS.WritableStream; delayMs?: number } = {}) {
    this.stream = stream;
    this.delayMs = delayMs;
  }

  async *watch(events: AsyncIterable<ScanEvent>): AsyncGenerator<ScanEvent> {
    try {
      for await (const e of events) {
        this.count(e);
        const now = Date.now();
        if (now - this.started > this.delayMs && now - this.drawnAt >= 100) this.draw(now);
        yield e;
      }
    } finally {
      this.clear();
    }
  }

  private count(e: ScanEvent): void {
    if (e.type === "progress") {
      // A second pass over an item (to locate what the first found) starts again from 0: the line never goes back.
      const before = this.reading.get(e.uri);
      this.reading.set(e.uri, { bytes: Math.max(e.bytes, before?.bytes ?? 0), counted: Math.max(e.counted, before?.counted ?? 0) });
      this.last = e.path;
    } else if (e.type === "coverage") {
      this.items++;
      if (!e.entry.member) this.reading.delete(e.entry.uri);
      this.bytes += e.entry.bytes ?? 0;
      for (const u of e.entry.unlisted ?? []) this.findings += u.findings;
      if (e.entry.status !== "scanned") this.problems++;
      this.last = e.entry.path;
    } else if (e.type === "finding") this.findings++;
  }

  /** The line as drawn, without the spinner's position on screen: "12 items · 340.0 MB · 1 found · …". */
  text(now = Date.now()): string {
    let bytes = this.bytes;
    let findings = this.findings;
    for (const r of this.reading.values()) {
      bytes += r.bytes;
      findings += r.counted;
    }
    const head = `straymap ${SPINNER[Math.floor(now / 100) % SPINNER.length]} ${this.items} item${this.items === 1 ? "" : "s"} · ${formatBytes(bytes)} · ${findings} found · ${this.problems} skipped/failed · `;
    const room = Math.max(10, (this.stream.columns ?? 100) - head.length - 1);
    const last = this.last.length > room ? `…${this.last.slice(-(room - 1))}` : this.last;
    return head + last;
  }

  private draw(now: number): void {
    this.drawnAt = now;
    this.shown = true;
    this.stream.write(`\r\x1b[2K${this.text(now)}`);
  }

  /** Take the line off the screen (it comes back at the next redraw). */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.drawnAt = 0;
    this.stream.write("\r\x1b[2K");
  }
}

/** Pass events through while drawing the progress line (see ProgressLine). */
export function withProgress(events: AsyncIterable<ScanEvent>, options: { stream?: NodeJS.WritableStream; delayMs?: number } = {}): AsyncGenerator<ScanEvent> {
  return new ProgressLine(options).watch(events);
}
