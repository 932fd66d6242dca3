import type { RunResult } from "../index.js";
import type { Store } from "./store.js";

/** Keep one run (a scan for a request, or a sweep) with its coverage, failures and redacted findings. */
export function insertRun(store: Store, request: string | null, sources: string[], result: Pick<RunResult, "findings" | "coverage">, startedAt: Date): { id: number; failures: number } {
  const failures = result.coverage.items.filter((e) => e.status === "failed").map((e) => ({ source: e.source, where: e.uri, error: e.error }));
  const run = store.db
    .prepare("INSERT INTO runs (request, started_at, finished_at, sources, summary, failures) VALUES (?, ?, ?, ?, ?, ?)")
    .run(request, startedAt.toISOString(), new Date().toISOString(), JSON.stringify(sources), JSON.stringify(result.coverage.summary), JSON.stringify(failures));
  const id = Number(run.lastInsertRowid);
  const insert = store.db.prepare("INSERT INTO findings (run, data) VALUES (?, ?)");
  store.db.transaction(() => {
    for (const f of result.findings) insert.run(id, JSON.stringify(f));
  })();
  return { id, failures: failures.length };
}
