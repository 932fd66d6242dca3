import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { ProgressLine, withProgress } from "../../src/cli/progress.js";
import type { ScanEvent } from "../../src/types.js";

function terminal() {
  const out = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
  Object.assign(out, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true });
  let written = "";
  out.on("data", (c) => (written += c.toString()));
  return { out, written: () => written };
}

async function* events(n: number, pauseMs: number): AsyncGenerator<ScanEvent> {
  for (let i = 0; i < n; i++) {
    await sleep(pauseMs);
    yield { type: "coverage", entry: { source: "fs", uri: `file:///x/${i}`, path: `file-${i}.csv`, status: i === 2 ? "failed" : "scanned", bytes: 1_500_000 } };
  }
}

describe("progress line", () => {
  it("counts items and the bytes they held, and steps aside when asked", async () => {
    const tty = terminal();
    const line = new ProgressLine({ stream: tty.out, delayMs: 0 });
    for await (const _ of line.watch(events(4, 120))) {
      line.clear();
      expect(tty.written().endsWith("\r\x1b[2K") || tty.written() === "").toBe(true);
    }
    expect(tty.written()).toMatch(/3 items · 4\.5 MB ·/);
  });

  it("draws on a terminal once the run takes more than a moment, passing every event through", async () => {
    const tty = terminal();
    const seen: ScanEvent[] = [];
    for await (const e of withProgress(events(8, 20), { stream: tty.out, delayMs: 50 })) seen.push(e);
    expect(seen).toHaveLength(8);
    expect(tty.written()).toMatch(/straymap . \d items? · \d+\.\d MB · 0 found · 1 skipped\/failed · file-\d\.csv/);
    // The line is taken off the screen at the end.
    expect(tty.written().endsWith("\r\x1b[2K")).toBe(true);
  });

  it("draws nothing for a quick run", async () => {
    const tty = terminal();
    for await (const _ of withProgress(events(3, 0), { stream: tty.out, delayMs: 1000 }));
    expect(tty.written()).toBe("");
  });

  it("shows the bytes of a big file while it is read, and the matches counted past the cap, without counting anything twice", async () => {
    const tty = terminal();
    const line = new ProgressLine({ stream: tty.out, delayMs: 1000 });
    const big = { source: "fs", uri: "file:///x/every-row.csv", path: "every-row.csv" };
    const finding: ScanEvent = {
      type: "finding",
      finding: { kind: "customer-match", source: "fs", location: { ...big, row: 2, column: "email" }, identifier: "email", match: "exact", count: 1, confidence: 0.99, evidence: "email: a****@example.com", system: null },
    };
    const reading: ScanEvent[] = [{ type: "progress", ...big, bytes: 120_000_000, counted: 0 }, finding, { type: "progress", ...big, bytes: 340_000_000, counted: 250_000 }];
    for await (const _ of line.watch((async function* () { yield* reading; })()));
    // Nothing finished yet: 0 items, but the bytes read so far, the match listed and those counted so far.
    expect(line.text(0)).toBe("straymap ⠋ 0 items · 340.0 MB · 250001 found · 0 skipped/failed · every-row.csv");
    const done: ScanEvent = { type: "coverage", entry: { ...big, status: "scanned", bytes: 350_000_000, unlisted: [{ kind: "customer-match", identifier: "email", column: "email", findings: 399_999, count: 399_999, first: 3, last: 400_001 }] } };
    for await (const _ of line.watch((async function* () { yield done; })()));
    expect(line.text(0)).toBe("straymap ⠋ 1 item · 350.0 MB · 400000 found · 0 skipped/failed · every-row.csv");
  });
});
