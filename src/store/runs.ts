import { createHash } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import type { CoverageEntry, CoverageSummary, Finding } from "../types.js";

export interface RunRow {
  id: number;
  request: string | null;
  kind: string;
  started_at: string;
  finished_at: string;
  sources: string;
  summary: string;
  failures: string;
  digest: string | null;
}

export interface RunInput {
  findings: Finding[];
  coverage: { summary: CoverageSummary; items: CoverageEntry[] };
}

export interface StoredRun {
  id: number;
  failures: number;
  /** Places not fully searched although nobody left them out (a limit, an unsupported type). */
  gaps: number;
  digest: string;
}

/** What a run could not search: failed items with their error, gaps with their reason. */
function couldNotSearch(items: CoverageEntry[]) {
  return items
    .filter((e) => e.status === "failed" || e.gap)
    .map((e) => (e.status === "failed" ? { source: e.source, where: e.uri, error: e.error } : { source: e.source, where: e.uri + (e.member ? ` » ${e.member}` : ""), reason: e.reason, gap: true as const }));
}

/** Scan runs (for a request, a sweep, a restore-check) with their coverage, failures and redacted findings. */
export class RunRepository {
  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Keep one run; its digest covers what is stored, so a request's log can vouch for it. */
  insert(request: string | null, kind: "scan" | "sweep" | "restore-check", sources: string[], result: RunInput, startedAt: Date): StoredRun {
    const failures = couldNotSearch(result.coverage.items);
    const row = {
      request,
      kind,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      sources: JSON.stringify(sources),
      summary: JSON.stringify(result.coverage.summary),
      failures: JSON.stringify(failures),
    };
    const findings = result.findings.map((f) => JSON.stringify(f));
    const digest = runDigest(row, findings);
    const r = this.db
      .prepare("INSERT INTO runs (request, kind, started_at, finished_at, sources, summary, failures, digest) VALUES (@request, @kind, @started_at, @finished_at, @sources, @summary, @failures, @digest)")
      .run({ ...row, digest });
    const id = Number(r.lastInsertRowid);
    const insert = this.db.prepare("INSERT INTO findings (run, data) VALUES (?, ?)");
    for (const f of findings) insert.run(id, f);
    const gaps = failures.filter((f) => "gap" in f).length;
    return { id, failures: failures.length - gaps, gaps, digest };
  }

  get(id: number): RunRow | undefined {
    return this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
  }

  findings(run: number): Finding[] {
    return this.findingRows(run).map((d) => JSON.parse(d) as Finding);
  }

  private findingRows(run: number): string[] {
    return (this.db.prepare("SELECT data FROM findings WHERE run = ? ORDER BY rowid").all(run) as { data: string }[]).map((r) => r.data);
  }

  /** The digest of a run as stored now: differs from the logged one when the run was edited. */
  digestOf(run: number): string | undefined {
    const row = this.get(run);
    return row && runDigest(row, this.findingRows(run));
  }

  /** `map check`: when the last run finished, and the last run that found something in `system`. */
  lastSeen(system: string): { lastRun?: string; lastFound?: string } {
    const last = this.db.prepare("SELECT finished_at FROM runs ORDER BY id DESC LIMIT 1").get() as { finished_at: string } | undefined;
    if (!last) return {};
    const rows = this.db.prepare("SELECT r.finished_at AS at, f.data FROM findings f JOIN runs r ON r.id = f.run ORDER BY r.id DESC").iterate() as IterableIterator<{ at: string; data: string }>;
    for (const r of rows) {
      if ((JSON.parse(r.data) as Finding).system === system) return { lastRun: last.finished_at, lastFound: r.at };
    }
    return { lastRun: last.finished_at };
  }

  /** Every stored run and finding rewritten through `fix` (schema upgrades that scrub evidence). */
  rewriteAll(fix: (f: Finding) => Finding, fixFailures: (failures: unknown[]) => unknown[]): number {
    let n = 0;
    const runs = this.db.prepare("SELECT id, failures FROM runs").all() as { id: number; failures: string }[];
    const updateRun = this.db.prepare("UPDATE runs SET failures = ? WHERE id = ?");
    for (const r of runs) updateRun.run(JSON.stringify(fixFailures(JSON.parse(r.failures) as unknown[])), r.id);
    const rows = this.db.prepare("SELECT rowid, data FROM findings").all() as { rowid: number; data: string }[];
    const update = this.db.prepare("UPDATE findings SET data = ? WHERE rowid = ?");
    for (const row of rows) {
      const fixed = JSON.stringify(fix(JSON.parse(row.data) as Finding));
      if (fixed !== row.data) n++;
      update.run(fixed, row.rowid);
    }
    const setDigest = this.db.prepare("UPDATE runs SET digest = ? WHERE id = ?");
    for (const r of runs) setDigest.run(this.digestOf(r.id), r.id);
    return n;
  }
}

function runDigest(row: Pick<RunRow, "request" | "kind" | "started_at" | "finished_at" | "sources" | "summary" | "failures">, findings: string[]): string {
  const h = createHash("sha256").update(JSON.stringify([row.request, row.kind, row.started_at, row.finished_at, row.sources, row.summary, row.failures]));
  for (const f of findings) h.update("\n").update(f);
  return h.digest("hex");
}
