import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { cli, tempTree } from "../harness/helpers.js";
import { leaks, person, type Person } from "../harness/leaks.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

/** Her identifiers wherever an export can hold them: around evidence-window edges, in names, headers and keys. */
function exports(dir: string, p: Person): void {
  const forms = [p.email, p.id, p.phone, p.email.replace("@", "%40"), `mailto:${p.email}`];
  const lines: string[] = [];
  for (const a of forms) for (const b of [p.email, p.id, p.phone]) for (let gap = 0; gap <= 60; gap += 3) lines.push(`ab ${a}${"c".repeat(gap)}${b} de`);
  const files: Record<string, string> = {
    "crm/notes.log": lines.join("\n"),
    "crm/contacts.csv": `id,email,note\n1,${p.email},"call ${p.phone} about ${p.id}"\n`,
    // No header row: her row becomes the header.
    "loose/no-header.csv": `${p.email},${p.id},${p.phone}\nbob@example.org,cus_bob,+1 202 555 0199\n`,
    "loose/keys.json": JSON.stringify({ [p.email]: true, [p.id]: { phone: p.phone } }),
    [`loose/${p.email}.csv`]: `customer\n${p.id}\n`,
    [`loose/${p.id}/notes.txt`]: `see ${p.phone}\n`,
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, "data", rel, ".."), { recursive: true });
    writeFileSync(join(dir, "data", rel), text);
  }
}

describe("after close, nothing of her is left in any output or any byte under .straymap/", () => {
  for (const p of fc.sample(person, { numRuns: 2, seed: 9 })) {
    it(`customer ${p.local.length}/${p.idSecret.length}/${p.phoneDigits.slice(0, 3)}: scan, verify, close, report`, () => {
      const dir = tempTree({});
      try {
        exports(dir, p);
        writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: share\n    kind: fs\n    path: ./data\nmap: data-map.yaml\n");
        writeFileSync(join(dir, "data-map.yaml"), "systems:\n  - { id: crm, name: CRM exports, owner: crm@example.com, action: delete, locations: [{ source: share, path: 'crm/**' }] }\n");
        const outputs: string[] = [];
        const run = (...args: string[]) => {
          const r = cli(args, dir);
          outputs.push(r.stdout, r.stderr);
          return r;
        };
        expect(run("request", "open", "--customer", p.email, "--id", p.id, "--phone", p.phone, "--owner", "dana@example.com").code).toBe(0);
        expect(run("scan", "--request", "REQ-0001").code).toBe(1);
        expect(run("scan", "--request", "REQ-0001", "--format", "json").code).toBe(1);
        run("scan", "--request", "REQ-0001", "--format", "ndjson");
        const tasks = [...run("request", "show", "REQ-0001").stdout.matchAll(/^  (\S+) +pending/gm)].map((m) => m[1]);
        expect(tasks.length).toBeGreaterThan(3);
        for (const t of tasks) expect(run("request", "task", "REQ-0001", t, "done").code).toBe(0);
        rmSync(join(dir, "data"), { recursive: true });
        mkdirSync(join(dir, "data"));
        expect(run("scan", "--request", "REQ-0001").code).toBe(0);
        expect(run("request", "close", "REQ-0001").code).toBe(0);
        for (const f of ["md", "html", "json"]) run("request", "report", "REQ-0001", "--format", f);
        run("request", "verify", "REQ-0001");
        run("request", "list");
        for (const text of outputs) expect(leaks(text, p), text.slice(0, 2000)).toEqual([]);
        // Every byte of the store folder: database, write-ahead log (emptied at close), key, anything else.
        const stored = filesUnder(join(dir, ".straymap"));
        expect(stored.some((f) => f.endsWith("straymap.db"))).toBe(true);
        for (const f of stored) expect(leaks(readFileSync(f).toString("latin1"), p), f).toEqual([]);
        const wal = join(dir, ".straymap/straymap.db-wal");
        if (existsSync(wal)) expect(statSync(wal).size).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
