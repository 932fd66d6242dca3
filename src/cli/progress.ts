import type CliProgress from "cli-progress";
import { lazy } from "../lazy.js";

const cliProgress = lazy<typeof CliProgress>("cli-progress");
import type { ScanEvent } from "../types.js";

/**
 * Pass events through while drawing a progress line on stderr, only once the
 * run has taken more than a moment (a quick scan prints no bar at all).
 */
export async function* withProgress(
  events: AsyncIterable<ScanEvent>,
  { stream = process.stderr, delayMs = 1000 }: { stream?: NodeJS.WritableStream; delayMs?: number } = {},
): AsyncGenerator<ScanEvent> {
  const started = Date.now();
  let bar: CliProgress.SingleBar | undefined;
  let items = 0;
  let findings = 0;
  let problems = 0;
  try {
    for await (const e of events) {
      if (e.type === "coverage") {
        items++;
        if (e.entry.status !== "scanned") problems++;
      } else if (e.type === "finding") findings++;
      if (!bar && Date.now() - started > delayMs) {
        bar = new (cliProgress().SingleBar)(
          { format: "straymap {spinner} {value} items | {findings} found | {problems} skipped/failed | {last}", stream, clearOnComplete: true, hideCursor: true },
          cliProgress().Presets.shades_classic,
        );
        bar.start(0, 0, { findings, problems, last: "", spinner: "" });
      }
      if (bar && e.type === "coverage") {
        const last = e.entry.path.length > 40 ? `…${e.entry.path.slice(-39)}` : e.entry.path;
        bar.setTotal(items);
        bar.update(items, { findings, problems, last, spinner: "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[items % 10] });
      }
      yield e;
    }
  } finally {
    bar?.stop();
  }
}
