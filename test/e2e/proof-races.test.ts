import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { cli, cliAsync, tempTree } from "../harness/helpers.js";

/** A project with one folder source and a data map whose systems no scanner reaches (no verification scan needed). */
function project(): string {
  const dir = tempTree({ "data/readme.txt": "nothing personal here\n" });
  writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: share\n    kind: fs\n    path: ./data\nmap: data-map.yaml\n");
  writeFileSync(
    join(dir, "data-map.yaml"),
    "systems:\n  - { id: crm, name: CRM, owner: crm@example.com, action: manual, locations: [] }\n  - { id: billing, name: Billing, owner: billing@example.com, action: manual, locations: [] }\n",
  );
  return dir;
}

describe("requests under concurrent processes", () => {
  it("ten `request open` at once: ten ids, each tied to its own customer", async () => {
    const dir = project();
    try {
      const emails = Array.from({ length: 10 }, (_, i) => `race${i}@example.com`);
      const results = await Promise.all(emails.map((e) => cliAsync(["request", "open", "--customer", e, "--owner", "dana@example.com"], dir)));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const ids = results.map((r) => /REQ-\d{4}/.exec(r.stdout)![0]);
      expect(new Set(ids).size).toBe(10);
      const key = Buffer.from(readFileSync(join(dir, ".straymap/hmac.key"), "utf8").trim(), "hex");
      const db = new Database(join(dir, ".straymap/straymap.db"), { readonly: true });
      try {
        ids.forEach((id, i) => {
          const file = JSON.parse(readFileSync(join(dir, ".straymap/requests", `${id}.identifiers.json`), "utf8"));
          // The process that printed this id opened it for its own customer, and the store agrees.
          expect(file.emails).toEqual([emails[i]]);
          const { identifier_hashes } = db.prepare("SELECT identifier_hashes FROM requests WHERE id = ?").get(id) as { identifier_hashes: string };
          expect(JSON.parse(identifier_hashes)[0].hash).toBe(createHmac("sha256", key).update(`email:${emails[i]}`).digest("hex"));
        });
      } finally {
        db.close();
      }
      expect(cli(["request", "verify", ids[0]], dir).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("`task retained` racing `close`, and two closes at once: one consistent outcome every time", async () => {
    const base = project();
    try {
      expect(cli(["request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com"], base).code).toBe(0);
      expect(cli(["scan", "--request", "REQ-0001"], base).code).toBe(0);
      expect(cli(["request", "task", "REQ-0001", "crm", "not-found"], base).code).toBe(0);
      expect(cli(["request", "task", "REQ-0001", "billing", "not-found"], base).code).toBe(0);
      for (let round = 0; round < 6; round++) {
        const dir = join(base, `round-${round}`);
        mkdirSync(dir);
        for (const f of ["straymap.yaml", "data-map.yaml", "data", ".straymap"]) cpSync(join(base, f), join(dir, f), { recursive: true });
        const [task, close1, close2] = await Promise.all([
          cliAsync(["request", "task", "REQ-0001", "crm", "retained", "--reason", "legal hold"], dir),
          cliAsync(["request", "close", "REQ-0001"], dir),
          cliAsync(["request", "close", "REQ-0001"], dir),
        ]);
        // Exactly one close succeeds; the other is told the request is closed.
        expect([close1.code, close2.code].sort(), close1.stderr + close2.stderr).toEqual([0, 2]);
        expect(close1.stderr + close2.stderr).toMatch(/already closed/);
        const json = JSON.parse(cli(["request", "report", "REQ-0001", "--format", "json"], dir).stdout);
        const crm = json.systems.find((s: { system: string }) => s.system === "crm");
        if (task.code === 0) {
          // The task came first: the close saw it.
          expect(crm.outcome).toBe("retained");
          expect(json.request.outcome).toBe("completed with exceptions");
        } else {
          expect(task.stderr).toMatch(/REQ-0001 is closed/);
          expect(crm.outcome).toBe("not-found");
          expect(json.request.outcome).toBe("completed");
        }
        expect(json.events.filter((e: { type: string }) => e.type === "closed")).toHaveLength(1);
        expect(cli(["request", "verify", "REQ-0001"], dir).code).toBe(0);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 180_000);
});
