import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { withProgress } from "../../src/cli/progress.js";
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
    yield { type: "coverage", entry: { source: "fs", uri: `file:///x/${i}`, path: `file-${i}.csv`, status: i === 2 ? "failed" : "scanned" } };
  }
}

describe("progress bar", () => {
  it("draws on a terminal once the run takes more than a moment, passing every event through", async () => {
    const tty = terminal();
    const seen: ScanEvent[] = [];
    for await (const e of withProgress(events(8, 20), { stream: tty.out, delayMs: 50 })) seen.push(e);
    expect(seen).toHaveLength(8);
    expect(tty.written()).toMatch(/straymap .* items \| 0 found \| 1 skipped\/failed \| file-\d\.csv/);
  });

  it("draws nothing for a quick run", async () => {
    const tty = terminal();
    for await (const _ of withProgress(events(3, 0), { stream: tty.out, delayMs: 1000 }));
    expect(tty.written()).toBe("");
  });
});
