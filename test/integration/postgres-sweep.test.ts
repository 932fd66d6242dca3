import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { collect, sweep } from "../../src/index.js";
import type { RunResult } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { ROOT } from "../harness/helpers.js";

// Sweeps of real schemas (Pagila, Chinook) and of a database of hard cases made here:
// people's columns are found, lookup tables' `name` columns are not, and values decide
// where names do not (a text[] of emails, customer-id shaped values, emails inside notes).

const CASES_DB = "straymap_sweep_cases";

async function sweepDb(url: string): Promise<RunResult> {
  process.env.STRAYMAP_TEST_SWEEP_URL = url;
  const config = buildConfig({ sources: [{ id: "db", kind: "postgres", url: "${STRAYMAP_TEST_SWEEP_URL}", statementTimeout: "5s" }] }, "straymap.yaml", ROOT);
  return collect(sweep({ config }));
}

const columnsOf = (r: RunResult) => new Set(r.findings.map((f) => `${f.location.path}.${f.location.column}:${f.piiType}`));
const nameColumns = (r: RunResult) => [...columnsOf(r)].filter((c) => c.endsWith(":name")).sort();

async function withClient<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

describe("sweep of Pagila", () => {
  let r: RunResult;
  beforeAll(async () => {
    r = await sweepDb(process.env.STRAYMAP_TEST_PG_READER!);
  });

  it("flags its people's name, email, phone and address columns", () => {
    const found = columnsOf(r);
    for (const want of [
      "public.customer.first_name:name",
      "public.customer.last_name:name",
      "public.customer.email:email",
      "public.staff.first_name:name",
      "public.staff.last_name:name",
      "public.staff.email:email",
      "public.actor.first_name:name",
      "public.actor.last_name:name",
      "public.address.address:address",
      "public.address.phone:phone",
    ]) {
      expect(found, want).toContain(want);
    }
  });

  it("flags none of its lookup tables' name columns", () => {
    expect(nameColumns(r).filter((c) => /^public\.(category|language|film|country|city)\./.test(c))).toEqual([]);
  });
});

describe("sweep of Chinook", () => {
  let r: RunResult;
  beforeAll(async () => {
    r = await sweepDb(process.env.STRAYMAP_TEST_PG_CHINOOK!);
  });

  it("flags its customers' and employees' name, email, phone and address columns", () => {
    const found = columnsOf(r);
    for (const t of ["customer", "employee"]) {
      for (const want of [`public.${t}.first_name:name`, `public.${t}.last_name:name`, `public.${t}.email:email`, `public.${t}.phone:phone`, `public.${t}.address:address`]) {
        expect(found, want).toContain(want);
      }
    }
    expect(found).toContain("public.invoice.billing_address:address");
  });

  it("flags none of the name columns of genres, media types, playlists and tracks", () => {
    expect(nameColumns(r).filter((c) => /^public\.(genre|media_type|playlist|track|album)\./.test(c))).toEqual([]);
    // They were read and judged by their values, not skipped.
    const cov = Object.fromEntries(r.coverage.items.map((e) => [e.path, e.status]));
    for (const t of ["genre", "media_type", "playlist", "track"]) expect(cov[`public.${t}`], t).toBe("scanned");
  });
});

describe("sweep: values decide where column names do not", () => {
  let url: string;
  let r: RunResult;
  beforeAll(async () => {
    const admin = process.env.STRAYMAP_TEST_PG_ADMIN!;
    await withClient(admin, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${CASES_DB}`);
      await c.query(`CREATE DATABASE ${CASES_DB}`);
    });
    const u = new URL(admin);
    u.pathname = `/${CASES_DB}`;
    url = u.toString();
    const given = ["Ada", "Ben", "Clara", "Daniel", "Elena", "Frank", "Grace", "Hugo", "Irene", "Jonas"];
    const family = ["Lovelace", "Carter", "Schmidt", "Moreau", "Garcia", "Miller", "Kim", "Jansen", "Rossi", "Berg"];
    await withClient(url, async (c) => {
      await c.query(`
        -- Never analysed: sampled rows, arrays read element by element.
        CREATE TABLE mailing (id int PRIMARY KEY, recipients text[], ext_ref text, notes text);
        -- Analysed: pg_stats' most common elements stand for the array column.
        CREATE TABLE audience (id int PRIMARY KEY, cc text[]);
        CREATE TABLE plan (id int PRIMARY KEY, name text);
        CREATE TABLE member (id int PRIMARY KEY, name text, c1 text);`);
      for (let i = 0; i < 40; i++) {
        const notes = i % 2 ? `Called back, asked to write to person${i}@example.com about the refund.` : "No answer, will try again next week.";
        await c.query("INSERT INTO mailing VALUES ($1, $2, $3, $4)", [i, [`person${i}@example.com`, `team${i % 3}@example.org`], `cus_${(1e9 + i * 7919).toString(36).padEnd(10, "x")}`, notes]);
        await c.query("INSERT INTO audience VALUES ($1, $2)", [i, [`list${i % 6}@example.com`, `owner${i % 4}@example.net`]]);
        await c.query("INSERT INTO member VALUES ($1, $2, $3)", [i, `${given[i % 10]} ${family[(i * 3) % 10]}`, `${given[(i + 4) % 10]} ${family[i % 10]}`]);
      }
      for (const [i, n] of ["Free", "Starter", "Pro", "Business", "Enterprise", "Premium"].entries()) await c.query("INSERT INTO plan VALUES ($1, $2)", [i, n]);
      await c.query("ANALYZE audience");
    });
    r = await sweepDb(url);
  });

  afterAll(async () => {
    await withClient(process.env.STRAYMAP_TEST_PG_ADMIN!, (c) => c.query(`DROP DATABASE IF EXISTS ${CASES_DB}`));
  });

  it("finds a text[] column of emails whatever it is called, from rows and from pg_stats", () => {
    const recipients = r.findings.find((f) => f.location.path === "public.mailing" && f.location.column === "recipients")!;
    expect(recipients).toMatchObject({ piiType: "email", reason: "values" });
    expect(recipients.evidence).toMatch(/values from \d+ sampled rows are email \(array elements\)/);
    const cc = r.findings.find((f) => f.location.path === "public.audience" && f.location.column === "cc")!;
    expect(cc).toMatchObject({ piiType: "email", reason: "values" });
    expect(cc.evidence).toMatch(/values from pg_stats are email \(array elements\)/);
  });

  it("finds customer-id shaped values whatever the column is called", () => {
    expect(r.findings.find((f) => f.location.column === "ext_ref")).toMatchObject({ piiType: "customer_id", reason: "values" });
  });

  it("finds emails embedded in a text column's free text", () => {
    const notes = r.findings.find((f) => f.location.column === "notes")!;
    expect(notes).toMatchObject({ piiType: "email", reason: "embedded in free text" });
    expect(notes.evidence).toMatch(/^embedded in free text: 20\/40 texts from 40 sampled rows contain an email/);
    expect(notes.evidence).not.toMatch(/person\d+@example\.com/);
  });

  it("tells people's names from names of plans, under `name` and under an unhelpful header", () => {
    expect(nameColumns(r)).toEqual(["public.member.c1:name", "public.member.name:name"]);
  });
});
