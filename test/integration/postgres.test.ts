import { describe, expect, it, beforeAll } from "vitest";
import pg from "pg";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { PgSession, displayTarget } from "../../scanners/postgres/session.js";
import type { Finding, RunResult } from "../../src/index.js";
import { cli, ROOT, tempTree } from "../harness/helpers.js";

const MARY = "MARY.SMITH@sakila.example.org";
const owner = () => process.env.STRAYMAP_TEST_PG!;
const reader = () => process.env.STRAYMAP_TEST_PG_READER!;

const configFor = (settings: Record<string, unknown>) => {
  process.env.STRAYMAP_TEST_DB_URL = reader();
  return buildConfig({ sources: [{ id: "pagila", kind: "postgres", url: "${STRAYMAP_TEST_DB_URL}", statementTimeout: "1s", ...settings }] }, "straymap.yaml", ROOT);
};

async function adminQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: owner() });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const where = (f: Finding) => `${f.location.path}.${f.location.column ?? ""}${f.location.jsonPath ? ` ${f.location.jsonPath}` : ""}`;

describe("postgres scan", () => {
  let result: RunResult;
  beforeAll(async () => {
    result = await collect(scan({ config: configFor({}), customer: { emails: [MARY] } }));
  });

  it("finds her in every table and column, with row keys", () => {
    const matches = result.findings.filter((f) => f.kind === "customer-match");
    const got = Object.fromEntries(matches.map((f) => [where(f), { keys: f.keys, match: f.match, count: f.count }]));
    expect(got).toEqual({
      "public.customer.email": { keys: [{ customer_id: 1 }], match: "exact", count: 1 },
      "crm.contacts.email": { keys: [{ id: 1 }], match: "exact", count: 1 },
      "crm.contacts.profile $.billing.emails[1]": { keys: [{ id: 1 }], match: "exact", count: 1 },
      "crm.contacts.tags": { keys: [{ id: 2 }], match: "exact", count: 1 },
      "crm.contact_emails.email": { keys: [{ ctid: expect.stringMatching(/^\(\d+,\d+\)$/) }], match: "exact", count: 1 },
      "crm.newsletter.email": { keys: [{ id: 2 }], match: "exact", count: 1 },
      "public.audit_log.message": { keys: [{ ctid: "(0,2)" }], match: "plus-tag", count: 1 },
      'public.Support Tickets.Body': { keys: [{ "Ticket ID": 7 }], match: "encoded", count: 1 },
      'public."; DROP TABLE public.customer; --.email': { keys: [{ id: 1 }], match: "exact", count: 1 },
      "public.events.payload $.user.email": { keys: [{ id: "1", at: expect.any(Date) }, { id: "2", at: expect.any(Date) }], match: "exact", count: 2 },
    });
  });

  it("reports partitions, views, unreadable and slow tables in coverage, and goes on", () => {
    const status = Object.fromEntries(result.coverage.items.map((e) => [e.path, `${e.status}: ${e.reason ?? e.error ?? e.method}`]));
    expect(status["public.events_2026_10"]).toBe("skipped: partition of public.events: searched through it");
    expect(status["public.payment_p2022_01"]).toBe("skipped: partition of public.payment: searched through it");
    expect(status["public.customer_list"]).toMatch(/^skipped: view over .*public\.customer/);
    expect(status["public.secrets"]).toMatch(/^failed: permission denied: permission denied for table secrets/);
    expect(status["public.slow"]).toMatch(/^failed: statement timeout \(statementTimeout 1s\) reached/);
    expect(status["public.customer"]).toMatch(/^scanned: one query over \d+ candidate columns/);
    expect(status["crm.newsletter"]).toMatch(/^scanned: one query, by index on email/);
    expect(status["public.film_category"]).toBe("scanned: no text, JSON or ID-shaped column: nothing to search");
    // Every table the catalog lists is accounted for once.
    expect(result.coverage.items.filter((e) => e.path === "public.customer")).toHaveLength(1);
  });

  it("uses one statement per searched table", () => {
    for (const e of result.coverage.items.filter((x) => x.status === "scanned" && x.method?.startsWith("one query"))) expect(e.statements, e.path).toBe(1);
  });

  it("follows foreign keys to the rows that only reference her, with exact counts and keys", async () => {
    const linked = Object.fromEntries(result.findings.filter((f) => f.kind === "linked-row").map((f) => [`${f.location.path} via ${f.via}`, f]));
    const payments = await adminQuery<{ payment_id: number }>("SELECT payment_id FROM payment WHERE customer_id = 1 ORDER BY 1");
    const rentals = await adminQuery<{ rental_id: number }>("SELECT rental_id FROM rental WHERE customer_id = 1 ORDER BY 1");
    const pay = linked["public.payment via public.payment(customer_id) → public.customer(customer_id)"];
    expect(pay.count).toBe(payments.length);
    expect(pay.keys!.map((k) => k.payment_id).sort((a, b) => Number(a) - Number(b))).toEqual(payments.map((p) => p.payment_id));
    const rent = linked["public.rental via public.rental(customer_id) → public.customer(customer_id)"];
    expect(rent.count).toBe(rentals.length);
    // Her own row points at her address: one key away, upwards.
    expect(linked["public.address via public.customer(address_id) → public.address(address_id)"]).toMatchObject({ count: 1, keys: [{ address_id: 5 }] });
    // Films and inventory are reached only through rentals, upwards: not her data, not followed.
    expect(Object.keys(linked).some((k) => k.startsWith("public.film "))).toBe(false);
  });

  it("marks her rows that no foreign key ties to her customer record", () => {
    const byTable = Object.fromEntries(result.findings.filter((f) => f.kind === "customer-match").map((f) => [f.location.path, f.linked]));
    expect(byTable["public.customer"]).toBe(true);
    expect(byTable["crm.contacts"]).toBe(false);
    expect(byTable["public.audit_log"]).toBe(false);
  });

  it("matches a uuid customer ID by equality in uuid columns", async () => {
    const r = await collect(scan({ config: configFor({ schemas: ["crm"] }), customer: { ids: ["6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"] } }));
    expect(r.findings.map((f) => `${where(f)}=${JSON.stringify(f.keys)}`)).toEqual(['crm.sessions.user_ref=[{"id":"00000000-0000-4000-8000-000000000001"}]']);
  });

  it("streams a search that returns many rows instead of holding them", async () => {
    const connection = { connectionString: owner() };
    const session = await PgSession.open({ connection, display: displayTarget(connection), statementTimeout: "5s", lockTimeout: "1s" });
    try {
      const batches: number[] = [];
      for await (const rows of session.search("SELECT n FROM crm.big_import WHERE n <= 2500", [], 100)) batches.push(rows.length);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(2500);
      expect(Math.max(...batches)).toBeLessThanOrEqual(1000);
    } finally {
      await session.close();
    }
  });

  it("matches integer customer IDs by equality", async () => {
    const r = await collect(scan({ config: configFor({ schemas: ["public"], include: ["public.customer", "public.payment"] }), customer: { ids: ["1"] } }));
    const direct = r.findings.filter((f) => f.kind === "customer-match").map((f) => `${where(f)}=${JSON.stringify(f.keys?.slice(0, 1))}`);
    expect(direct).toContain('public.customer.customer_id=[{"customer_id":1}]');
  });
});

describe("postgres safety", () => {
  it("runs every statement read-only: a write through the scanner's session fails", async () => {
    const connection = { connectionString: owner() };
    const session = await PgSession.open({ connection, display: displayTarget(connection), statementTimeout: "5s", lockTimeout: "1s" });
    try {
      await expect(session.query("INSERT INTO public.audit_log (message) VALUES ('written')")).rejects.toThrow(/read-only transaction/);
      await expect(session.query("CREATE TABLE public.nope (id int)")).rejects.toThrow(/read-only transaction/);
    } finally {
      await session.close();
    }
    expect(await adminQuery("SELECT 1 FROM public.audit_log WHERE message = 'written'")).toEqual([]);
  });

  it("never shows the password, in output or in errors", () => {
    const bad = new URL(reader());
    bad.password = "wrong-password-xyz";
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: db\n    kind: postgres\n    url: ${STRAYMAP_DB}\n" });
    for (const url of [reader(), bad.toString()]) {
      const r = cli(["scan", "--customer", MARY, "--format", "json"], dir, { STRAYMAP_DB: url });
      const all = r.stdout + r.stderr;
      expect(all).not.toContain("reader-secret-pw");
      expect(all).not.toContain("wrong-password-xyz");
      expect(all).toContain("postgres://straymap_reader@");
    }
    const failed = cli(["scan", "--customer", MARY, "--format", "json"], dir, { STRAYMAP_DB: bad.toString() });
    expect(failed.code).toBe(4);
    expect(JSON.parse(failed.stdout).coverage.items[0].error).toMatch(/cannot connect to .*password authentication failed/);
  });

  it("check --connect connects read-only and says what it would search; a wrong password is 'cannot reach', exit 4, the password never shown", () => {
    const bad = new URL(reader());
    bad.password = "wrong-password-xyz";
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: db\n    kind: postgres\n    url: ${STRAYMAP_DB}\n    exclude: ['crm.*']\n" });
    const ok = cli(["check", "--connect"], dir, { STRAYMAP_DB: reader() });
    expect(ok.code).toBe(0);
    const tables = /reachable: connected read-only to postgres:\/\/straymap_reader@[^;]+; (\d+) tables? to search \(of (\d+) relations in its catalog\)/.exec(ok.stdout);
    expect(tables, ok.stdout).not.toBeNull();
    expect(Number(tables![1])).toBeGreaterThan(10);
    expect(Number(tables![1])).toBeLessThan(Number(tables![2]));
    const failed = cli(["check", "--connect"], dir, { STRAYMAP_DB: bad.toString() });
    expect(failed.code).toBe(4);
    expect(failed.stdout).toMatch(/cannot reach: cannot connect to postgres:\/\/straymap_reader@.*password authentication failed/);
    expect(failed.stdout + failed.stderr).not.toContain("wrong-password-xyz");
  });

  it("refuses a password written into the config", () => {
    expect(() => buildConfig({ sources: [{ id: "db", kind: "postgres", url: "postgres://u:hunter2@h/db" }] }, "straymap.yaml", ROOT)).toThrow(/the URL has a password in it/);
    expect(() => buildConfig({ sources: [{ id: "db", kind: "postgres", host: "h", password: "hunter2" }] }, "straymap.yaml", ROOT)).toThrow(/password: secrets must not be written/);
  });
});

describe("postgres sweep", () => {
  let result: RunResult;
  beforeAll(async () => {
    result = await collect(sweep({ config: configFor({}) }));
  });

  it("finds PII-shaped columns from names, statistics and samples", () => {
    const found = new Set(result.findings.map((f) => `${f.location.path}.${f.location.column}:${f.piiType}`));
    for (const want of ["public.customer.email:email", "public.customer.first_name:name", "public.customer.last_name:name", "public.address.address:address", "public.address.phone:phone", "public.address.postal_code:postal_code", "crm.big_import.col3:email", "public.staff.email:email"]) {
      expect(found, want).toContain(want);
    }
    expect([...found].filter((f) => f.startsWith("public.film."))).toEqual([]);
  });

  it("reads pg_stats before rows, and samples big tables with TABLESAMPLE, saying how many rows", () => {
    const cov = Object.fromEntries(result.coverage.items.map((e) => [e.path, e.method ?? e.reason ?? e.error]));
    expect(cov["public.customer"]).toBe("catalog and pg_stats (no rows read)");
    expect(cov["crm.big_import"]).toMatch(/TABLESAMPLE SYSTEM sample of \d+ rows/);
    const col3 = result.findings.find((f) => f.location.path === "crm.big_import" && f.location.column === "col3")!;
    expect(col3).toMatchObject({ reason: "values" });
    expect(col3.sample!.size).toBeGreaterThan(0);
    expect(col3.sample!.size).toBeLessThanOrEqual(200);
    expect(col3.evidence).toMatch(/sampled rows/);
  });
});

describe("postgres restore-check", () => {
  it("finds a closed request's customer in a restored database by the stored hashes alone", async () => {
    const { Store } = await import("../../src/store/store.js");
    const { restoreCheck } = await import("../../src/index.js");
    const dir = tempTree({});
    const store = new Store(`${dir}/.straymap/straymap.db`);
    try {
      const hashes = [{ kind: "email", hash: store.hash("email", MARY.toLowerCase()) }];
      // A closed request, written as its log (the store replays requests from their events).
      const { stateOf } = await import("../../src/requests/requests.js");
      store.write(() => {
        store.events.append("REQ-0007", "opened", { owner: "dana@example.com", identifiers: hashes, tasks: [] });
        store.events.append("REQ-0007", "closed", { outcome: "completed" });
        store.requests.save(stateOf(store, "REQ-0007"));
      });
      const r = await collect(restoreCheck({ config: configFor({ schemas: ["crm"] }), store }));
      const found = r.findings.map((f) => `${where(f)}:${f.request}:${JSON.stringify(f.keys)}`).sort();
      expect(found).toEqual([
        'crm.contact_emails.email:REQ-0007:[{"ctid":"(0,1)"}]',
        'crm.contacts.email:REQ-0007:[{"id":1}]',
        'crm.contacts.profile $.billing.emails[1]:REQ-0007:[{"id":1}]',
        'crm.contacts.tags:REQ-0007:[{"id":2}]',
        'crm.newsletter.email:REQ-0007:[{"id":2}]',
      ]);
      expect(r.coverage.items.find((e) => e.path === "crm.contacts")?.method).toMatch(/read every row of 4 text columns, tokens hashed/);
    } finally {
      store.close();
    }
  });
});
