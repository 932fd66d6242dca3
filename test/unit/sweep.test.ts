import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { buildConfig } from "../../src/config/load.js";
import { classifyColumn } from "../../src/match/columns.js";
import { headerWords, loadRules } from "../../src/match/rules.js";
import { FIXTURES, ROOT, sweepAll, tempTree } from "../harness/helpers.js";
import { coverageReport } from "../../src/report/coverage-text.js";

const rules = loadRules();
const luhn = (s: string) => [...s].reverse().reduce((sum, d, i) => { const n = Number(d) * (i % 2 ? 2 : 1); return sum + (n > 9 ? n - 9 : n); }, 0) % 10 === 0;
/** 16-digit numbers shaped like cards that all fail the Luhn check. */
const failingLuhn = (n: number) => Array.from({ length: 40 }, (_, i) => String(4000123412341200n + BigInt(i * 13))).filter((s) => !luhn(s)).slice(0, n);
const types = (header: string, values: string[]) => classifyColumn(rules, header, values).map((v) => `${v.piiType}:${v.reason}`);
const emails = ["a@example.com", "b@example.com", "c@example.org", "d.e@example.net", "f+g@example.com", "h@example.com"];

describe("column classification", () => {
  it("judges national phone numbers in the region each run is given (no shared state between runs)", () => {
    const uk = ["020 7946 0958", "020 7946 0123", "0161 496 0000", "0117 496 0555", "0131 496 0300"];
    const gb = loadRules([], { phoneRegion: "GB" });
    const us = loadRules([], { phoneRegion: "US" });
    expect(classifyColumn(gb, "c1", uk).map((v) => v.piiType)).toContain("phone");
    expect(classifyColumn(us, "c1", uk).map((v) => v.piiType)).not.toContain("phone");
    expect(classifyColumn(gb, "c1", uk).map((v) => v.piiType)).toContain("phone");
  });

  it("splits headers into words across languages and styles", () => {
    expect(headerWords("customerEmail_2")).toEqual(["customer", "email", "2"]);
    expect(headerWords("Téléphone portable")).toEqual(["telephone", "portable"]);
    expect(headerWords("Straße")).toEqual(["strasse"]);
  });

  it.each([
    ["email", emails, "email:header+values"],
    ["col3", emails, "email:values"],
    ["Courriel", emails, "email:header+values"],
    ["correo electrónico", [], "email:header"],
    ["E-Mail-Adresse", emails, "email:header+values"],
    ["phone", ["4155550101", "4155550102", "4155550103", "4155550104", "4155550105"], "phone:header+values"],
    ["contact", ["+1 415 555 0101", "+44 20 7946 0958", "+33 6 12 34 56 78", "(415) 555-0104", "+1-212-555-0100"], "phone:values"],
    ["card_number", ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004", "4012888888881881"], "card:header+values"],
    ["x", ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009", "6011 0000 0000 0004", "4012 8888 8888 1881"], "card:values"],
    ["ref", ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606", "ES9121000418450200051332", "NL91ABNA0417164300"], "iban:values"],
    ["remote_addr", ["10.0.0.1", "192.168.0.2", "2001:db8::1", "203.0.113.9", "198.51.100.7"], "ip:header+values"],
    ["Geburtsdatum", ["1990-01-01"], "dob:header"],
    ["Vorname", ["Ada"], "name:header"],
    ["social security number", ["123-45-6789", "234-56-7890", "345-67-8901", "456-78-9012", "567-89-0123"], "ssn:header+values"],
  ])("%s is found as %s", (header, values, want) => {
    expect(types(header, values)).toContain(want);
  });

  it.each([
    ["email_sent", ["true", "false", "true", "true", "false", "false"]],
    ["id", ["0b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e21", "1b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e22", "2b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e23", "3b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e24", "4b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e25"]],
    ["sku", ["SKU-1000", "SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"]],
    ["ref", ["4000123412341231", "4000123412341238", "4000123412341245", "4000123412341252", "4000123412341269"].map((n) => (BigInt(n) + 1n).toString())],
    ["card", failingLuhn(6)],
    ["order_total", ["4155550132", "2125550100", "3105550199", "6465550111", "7185550122"]],
    ["product_name", ["Widget", "Gadget", "Gizmo", "Doohickey", "Thing"]],
    ["email", ["true", "false", "true", "false", "true"]],
  ])("%s is not personal data", (header, values) => {
    expect(types(header, values)).toEqual([]);
  });
});

describe("sweep", () => {
  it("finds PII columns in CSV (four languages), XLSX, NDJSON and headerless files, and nothing in an inventory", async () => {
    const r = await sweepAll([join(FIXTURES, "sweep")]);
    const found = new Set(r.findings.map((f) => `${f.location.path}|${f.location.sheet ?? ""}|${f.location.column}|${f.piiType}`));
    for (const want of [
      "customers-en.csv||email|email",
      "customers-en.csv||card_number|card",
      "customers-en.csv||iban|iban",
      "customers-en.csv||last_ip|ip",
      "customers-en.csv||date_of_birth|dob",
      "clients-fr.csv||Courriel|email",
      "clients-fr.csv||Code postal|postal_code",
      "clientes-es.csv||teléfono|phone",
      "kunden-de.csv||Straße|address",
      "no-header.csv||col3|email",
      "leads.xlsx|Leads Q3|Mail|email",
      "leads.xlsx|Leads Q3|Mobile|phone",
      "signups.ndjson||user.ip|ip",
    ]) {
      expect(found, want).toContain(want);
    }
    const noisy = r.findings.filter((f) => f.location.path === "inventory.csv" || ["email_sent", "id", "sku", "card_ref"].includes(f.location.column ?? ""));
    expect(noisy).toEqual([]);
    expect(r.coverage.items.find((e) => e.path === "notes.txt")).toMatchObject({ status: "skipped", reason: expect.stringMatching(/not tabular/) });
    const email = r.findings.find((f) => f.location.column === "email")!;
    expect(email).toMatchObject({ kind: "pii-column", reason: "header+values", sample: { size: 6, valid: 6 } });
    expect(email.evidence).not.toMatch(/ada@example.com/);
  });

  it("samples only the first rows of a big table", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},user${i}@example.com`).join("\n");
    const dir = tempTree({ "big.csv": `n,contact\n${rows}\n` });
    const r = await sweepAll([dir]);
    expect(r.findings[0].sample).toEqual({ size: rules.sampleSize, valid: rules.sampleSize });
  });

  it("takes the user's own rules from the config: a customer-ID format, and a changed built-in rule", async () => {
    const dir = tempTree({ "a.csv": "ref,note\ncus_AAAA1111,x\ncus_BBBB2222,y\ncus_CCCC3333,z\ncus_DDDD4444,w\ncus_EEEE5555,v\n" });
    const config = buildConfig(
      {
        rules: [
          { id: "stripe_customer", piiType: "customer_id", values: { pattern: "^cus_[A-Za-z0-9]{8,}$", alone: "." } },
          { id: "email", disabled: true },
        ],
      },
      "straymap.yaml",
      ROOT,
    );
    const r = await sweepAll([dir], { config });
    expect(r.findings.map((f) => `${f.location.column}:${f.piiType}:${f.reason}`)).toEqual(["ref:customer_id:values"]);
  });
});

describe("sweep coverage", () => {
  it("fails a malformed CSV with the cause and still sweeps the rest", async () => {
    const dir = tempTree({ "bad.csv": 'a,b\n1,"never closed\n', "ok.csv": "email\na@example.com\nb@example.com\nc@example.com\nd@example.com\ne@example.com\n" });
    const r = await sweepAll([dir]);
    expect(r.coverage.items.find((e) => e.path === "bad.csv")).toMatchObject({ status: "failed", error: expect.stringMatching(/malformed CSV near line 2: Quote Not Closed/) });
    expect(r.findings.map((f) => `${f.location.path}:${f.piiType}`)).toEqual(["ok.csv:email"]);
  });
});

describe("tables too short to judge", () => {
  it("are read, judged by their headers only, and listed as too few rows to judge, not passed over in silence", async () => {
    const rows = (n: number) => ["c1,email", ...emails.slice(0, n).map((e, i) => `${e},${emails[(i + 1) % emails.length]}`)].join("\n");
    const dir = tempTree({ "short.csv": rows(3), "long.csv": rows(6) });
    const r = await sweepAll([dir]);
    const byPath = Object.fromEntries(r.coverage.items.map((e) => [e.path, e]));
    expect(byPath["short.csv"]).toMatchObject({ status: "scanned", method: expect.stringMatching(/^too few rows to judge by values \(3 rows, rules need 5\)/) });
    expect(byPath["long.csv"].method).not.toMatch(/too few/);
    const columns = (path: string) => r.findings.filter((f) => f.location.path === path).map((f) => `${f.location.column}:${f.piiType}`);
    // The header still speaks for a short table; values alone decide only where there are enough of them.
    expect(columns("short.csv")).toEqual(["email:email"]);
    expect(columns("long.csv").sort()).toEqual(["c1:email", "email:email"]);
    const text = coverageReport(r, false);
    expect(text).toMatch(/Too few rows to judge by values \(1\):\n  - .*short\.csv: too few rows to judge/);
  });
});
