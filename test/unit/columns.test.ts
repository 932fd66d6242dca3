import { describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config/load.js";
import { classifyColumn } from "../../src/match/columns.js";
import { checkPersonName } from "../../src/match/person-names.js";
import { loadRules } from "../../src/match/rules.js";
import { VALIDATORS, cardBrand } from "../../src/match/validators.js";
import { ROOT, sweepAll, tempTree } from "../harness/helpers.js";

const rules = loadRules();
const verdicts = (header: string, values: string[]) => classifyColumn(rules, header, values);
const types = (header: string, values: string[]) => verdicts(header, values).map((v) => `${v.piiType}:${v.reason}`);
const ctx = { phoneRegion: "US" };

// Generated people (common given names and surnames; no real person's record).
const PEOPLE = ["Ada Lovelace", "Ben Carter", "Clara Schmidt", "Daniel Moreau", "Elena García", "Frank Miller", "Grace Kim", "Hugo Jansen", "Irene Rossi", "Jonas Berg"];
const CAPS_FIRST = ["MARY", "PATRICIA", "LINDA", "BARBARA", "ELIZABETH", "JENNIFER", "MARIA", "SUSAN"];

describe("names of people, not names of things", () => {
  it.each([
    ["categories", ["Action", "Animation", "Children", "Classics", "Comedy", "Documentary", "Drama", "Family", "Foreign", "Games", "Horror", "Music", "New", "Sci-Fi", "Sports", "Travel"]],
    ["genres", ["Rock", "Jazz", "Metal", "Alternative & Punk", "Rock And Roll", "Blues", "Latin", "Reggae", "Pop", "Soundtrack", "Bossa Nova", "Easy Listening", "Heavy Metal", "R&B/Soul", "World"]],
    ["languages", ["English", "Italian", "Japanese", "Mandarin", "French", "German"]],
    ["media types", ["MPEG audio file", "Protected AAC audio file", "Protected MPEG-4 video file", "Purchased AAC audio file", "AAC audio file"]],
    ["playlists", ["Music", "Movies", "TV Shows", "Audiobooks", "Brazilian Music", "Classical", "Grunge", "Heavy Metal Classic", "On-The-Go 1"]],
    ["tracks", ["For Those About To Rock (We Salute You)", "Balls to the Wall", "Fast As a Shark", "Restless and Wild", "Princess of the Dawn", "Put The Finger On You"]],
    ["products", ["Widget Pro", "Gadget Mini", "USB-C Cable", "Laptop Stand", "Desk Lamp", "Coffee Mug"]],
    ["plans", ["Free", "Starter", "Pro", "Business", "Enterprise", "Premium"]],
    ["tags", ["vip", "churn-risk", "Beta", "Newsletter", "Partner", "Trial"]],
    ["countries", ["France", "Germany", "Jordan", "Georgia", "Chad", "Israel", "Kenya", "Spain", "Brazil", "Canada"]],
  ])("a `name` column of %s is not a person's name", (_what, values) => {
    expect(types("name", values)).toEqual([]);
  });

  it.each([
    ["list_name", ["Newsletter", "VIP customers", "Webinar attendees", "Churned 2026", "Beta testers"]],
    ["campaign_name", ["Black Friday", "Spring Sale", "Welcome Series", "Winback", "Holiday Promo"]],
    ["option_name", ["Size", "Colour", "Material", "Length", "Finish"]],
    ["Product Name", ["Grace", "Victoria", "Jordan", "Florence", "Sydney"]],
  ])("%s is not a person's name", (header, values) => {
    expect(types(header, values)).not.toContainEqual(expect.stringMatching(/^name:/));
  });

  it("a `name` column of people is a name column, from header and values", () => {
    expect(types("name", PEOPLE)).toContain("name:header+values");
    expect(types("Name", CAPS_FIRST)).toContain("name:header+values");
  });

  it.each([["c1"], ["x4"], ["col_c"]])("finds people's names under the unhelpful header %s from the values", (header) => {
    expect(types(header, PEOPLE)).toContain("name:values");
  });

  it("says a value is a person's name when its words are mostly known given names or surnames", () => {
    for (const v of ["Ada Lovelace", "LOVELACE, Ada", "Dr. Grace Kim", "Johannes van der Berg", "J. Miller", "Mary-Jane O'Brien", "Zoë Müller"]) expect(checkPersonName(v).person, v).toBe(true);
    for (const v of ["Heavy Metal", "Jordan", "audio file", "a@example.com", "12 Market Street", "Alpha Beta Gamma Delta Epsilon"]) expect(checkPersonName(v).person, v).toBe(false);
  });

  it.each([["Requester"], ["Submitter"], ["Assignee"]])("help desks' %s column of names is a name column", (header) => {
    expect(types(header, PEOPLE)).toContain("name:header+values");
  });

  it("a Requester column of email addresses is email, not name", () => {
    const emails = ["ada@example.com", "ben@example.com", "clara@example.org", "dan@example.net", "eve@example.com"];
    expect(types("Requester", emails)).toEqual(["email:values"]);
  });
});

describe("vendors' own headers", () => {
  it.each([["Ship To"], ["Bill To"]])("%s is an address", (header) => {
    expect(types(header, ["12 Market Street, San Francisco", "34 Mission St", "56 Howard Street", "78 Folsom Street", "90 Harrison Street"]).map((t) => t.split(":")[0])).toContain("address");
  });

  it.each([["Contact ID"], ["Record ID"]])("%s is a customer id", (header) => {
    expect(types(header, ["1001", "1002", "1003", "1004", "1005"])).toContain("customer_id:header");
  });

  it("an `id` column of customer-id shaped values is a customer id; of UUIDs it is not", () => {
    expect(types("id", ["cus_N5kQ2vTg8aXb1c", "cus_P7mW3xYh9bZc2d", "cus_Q8nX4yZi0cAd3e", "cus_R9oY5zAj1dBe4f", "cus_S0pZ6aBk2eCf5g"])).toEqual(["customer_id:values"]);
    expect(types("id", ["gid://shopify/Customer/7001", "gid://shopify/Customer/7002", "gid://shopify/Customer/7003", "gid://shopify/Customer/7004", "gid://shopify/Customer/7005"])).toEqual(["customer_id:values"]);
    expect(types("id", ["0b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e21", "1b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e22", "2b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e23", "3b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e24", "4b9c1f1e-5d7a-4c1b-9e3f-2a6b8c0d1e25"])).toEqual([]);
  });
});

// ---- National ids: valid numbers made with each scheme's own check, and the same numbers broken ----

const SSN_VALID = ["123-45-6789", "234-56-7890", "345-67-8901", "456-78-9012", "567-89-0123", "078-05-1121"];
const SSN_INVALID = ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "078-05-1120", "457-55-5462", "219-09-9999"];

const nir = (body: string) => `${body}${String(97 - Number(BigInt(body.replace("2A", "19").replace("2B", "18")) % 97n)).padStart(2, "0")}`;
const dni = (n: number) => `${String(n).padStart(8, "0")}${"TRWAGMYFPDXBNJZSQVHLCKE"[n % 23]}`;
function bsn(eight: string): string | undefined {
  const sum = [...eight].reduce((s, d, i) => s + Number(d) * (9 - i), 0);
  const last = sum % 11;
  return last < 10 ? eight + last : undefined;
}
function cpf(nine: string): string {
  const digit = (ds: string) => {
    const sum = [...ds].reduce((s, d, i) => s + Number(d) * (ds.length + 1 - i), 0);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  const d1 = digit(nine);
  return `${nine}${d1}${digit(nine + d1)}`;
}
function steuerId(ten: string): string {
  let product = 10;
  for (const d of ten) {
    let sum = (Number(d) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return ten + (check === 10 ? 0 : check);
}
function codiceFiscale(first15: string): string {
  const odd: Record<string, number> = {};
  const oddValues = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"].forEach((c, i) => (odd[c] = oddValues[i]));
  [..."0123456789"].forEach((c, i) => (odd[c] = oddValues[i]));
  const even = (c: string) => (/\d/.test(c) ? Number(c) : c.charCodeAt(0) - 65);
  const sum = [...first15].reduce((s, c, i) => s + (i % 2 === 0 ? odd[c] : even(c)), 0);
  return first15 + String.fromCharCode(65 + (sum % 26));
}
const breakLast = (s: string) => s.slice(0, -1) + (/\d$/.test(s) ? String((Number(s.at(-1)) + 1) % 10) : s.at(-1) === "A" ? "B" : "A");

const NATIONAL: [string, string, string[]][] = [
  ["French NIR", "numéro de sécurité sociale", ["1850578006084", "2900175120005", "1770699350123", "2851231555001", "1620413055123"].map(nir)],
  ["Spanish DNI", "DNI", [12345678, 23456789, 34567890, 45678901, 56789012].map(dni)],
  ["German tax id", "Steuer-ID", ["1234567891", "2345678912", "4567891233", "5678912344", "6789123455"].map(steuerId)],
  ["Dutch BSN", "BSN", ["11122233", "12345678", "23456789", "34567890", "45678901", "56789012", "67890123"].map(bsn).filter((b): b is string => !!b).slice(0, 5)],
  ["Italian codice fiscale", "codice fiscale", ["RSSMRA85T10A562", "BNCLRA90A41F205", "VRDGPP80C15H501", "BRNLCU75E20L219", "NREMRC88M01D612"].map(codiceFiscale)],
  ["Brazilian CPF", "CPF", ["123456789", "234567891", "345678912", "456789123", "567891234"].map(cpf).map((c) => `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9)}`)],
];

describe("national ids by value", () => {
  it("finds US SSNs under any header, checked as python-stdnum does", () => {
    expect(types("x", SSN_VALID)).toEqual(["ssn:values"]);
    expect(types("ssn", SSN_VALID)).toEqual(["ssn:header+values"]);
    for (const bad of SSN_INVALID) expect(VALIDATORS.us_ssn(bad, ctx), bad).toBe(false);
    expect(types("x", SSN_INVALID)).toEqual([]);
  });

  it("does not take plain nine-digit numbers for SSNs without a header", () => {
    expect(types("ref", ["123456789", "234567890", "345678901", "456789012", "567890123"])).toEqual([]);
  });

  it.each(NATIONAL)("%s: found by its header and checksum; the same numbers with a wrong check digit are not", (_what, header, valid) => {
    expect(valid.length).toBe(5);
    expect(types(header, valid)).toEqual(["national_id:header+values"]);
    expect(types(header, valid.map(breakLast))).toEqual([]);
  });

  it("French NIR, Spanish DNI, German tax id and Italian codice fiscale are found by value alone", () => {
    for (const [what, , valid] of NATIONAL.filter(([w]) => /NIR|DNI|German|Italian/.test(w))) expect(types("c3", valid), what).toEqual(["national_id:values"]);
  });

  it("UK National Insurance numbers: valid prefixes only (no checksum exists)", () => {
    const valid = ["AB123456C", "CE654321A", "JK112233D", "PR998877B", "TW135790C"];
    expect(types("NI number", valid)).toEqual(["national_id:header+values"]);
    expect(types("NI number", ["BG123456C", "GB654321A", "DA112233D", "QQ998877B", "NK135790C"])).toEqual([]);
  });
});

/** The number with its Luhn check digit appended. */
function withLuhn(body: string): string {
  for (let d = 0; d < 10; d++) if (VALIDATORS.luhn(body + d, ctx)) return body + d;
  throw new Error("no check digit");
}

describe("cards", () => {
  const cards = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009", "6011 0000 0000 0004", "2221 0000 0000 0009"];

  it("an epoch-milliseconds column is not a card column, even where values pass Luhn", () => {
    const epochs = Array.from({ length: 200 }, (_, i) => String(1711234567890 + i * 7919));
    expect(epochs.filter((e) => VALIDATORS.luhn(e, ctx)).length).toBeGreaterThan(10);
    expect(types("created_ms", epochs)).toEqual([]);
    expect(types("card", epochs)).toEqual([]);
  });

  it("requires a brand's prefix and length: Luhn-valid numbers of no brand are not cards", () => {
    // 16 digits starting with 1, 7 and 9 belong to no card brand, even when they pass Luhn.
    expect(["100000000000000", "700000000000000", "900000000000000"].map(withLuhn).map((n) => [VALIDATORS.luhn(n, ctx), cardBrand(n)])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
    ]);
    expect(["4111111111111", "4111111111111111", "4111111111111111110"].map(cardBrand)).toEqual(["Visa", "Visa", "Visa"]);
    expect(cardBrand("411111111111111")).toBeUndefined(); // Visa has no 15-digit numbers
    expect(["5500000000000004", "2720990000000007", "378282246310005", "6011000000000004", "3530111333300000", "36259600000004"].map(cardBrand)).toEqual([
      "Mastercard",
      "Mastercard",
      "American Express",
      "Discover",
      "JCB",
      "Diners Club",
    ]);
  });

  it("needs most sampled values to pass, and names the brands seen in the evidence", () => {
    const v = verdicts("x", cards).find((x) => x.piiType === "card")!;
    expect(v.reason).toBe("values");
    expect(v.detail).toBe("brands seen: Visa, Mastercard, American Express, Discover");
    expect(types("x", [...cards.slice(0, 2), "1711234567890", "1711234567891", "1711234567892"])).toEqual([]);
  });
});

describe("personal data inside free text", () => {
  const notes = [
    "Customer called about invoice 1043, asked to reply to ada.l@example.com before Friday.",
    "Left a voicemail, no answer yet.",
    "Refund approved; confirmation sent to ben.carter@example.org as requested.",
    "Wants the plan downgraded next month.",
    "Escalated to billing, contact clara@example.net for the receipt.",
    "Asked about the API rate limits.",
  ];

  it("a notes column with emails inside sentences holds email, embedded in free text", () => {
    const v = verdicts("notes", notes);
    expect(v.map((x) => `${x.piiType}:${x.reason}`)).toEqual(["email:embedded in free text"]);
    expect(v[0].sample).toEqual({ size: 6, valid: 3 });
  });

  it("finds phones and card numbers inside ticket bodies", () => {
    const bodies = [
      "Please call me back on +1 415 555 0132 after 5pm.",
      "My number changed to (212) 555-0188, update it please.",
      "I paid with 4111 1111 1111 1111 but was charged twice.",
      "The app crashes when I open settings.",
      "Reach me at +44 20 7946 0958 tomorrow morning.",
      "Charged twice on card 5500 0000 0000 0004 last week.",
    ];
    expect(types("body", bodies).sort()).toEqual(["card:embedded in free text", "phone:embedded in free text"]);
  });

  it("log messages without personal data are not flagged; a column of bare emails is email, not embedded", () => {
    const logs = ["GET /health 200 in 3ms", "worker 4 started on queue default", "cache miss for key user:1042", "retrying job 991 after timeout", "GET /api/orders 200 in 12ms"];
    expect(types("message", logs)).toEqual([]);
    expect(types("contact", ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"])).toEqual(["email:values"]);
  });

  it("sweep says so for a CSV column and a JSON string field", async () => {
    const csv = ["id,notes", ...notes.map((n, i) => `${i + 1},"${n}"`)].join("\n");
    const ndjson = notes.map((n, i) => JSON.stringify({ id: i + 1, ticket: { body: n } })).join("\n");
    const r = await sweepAll([tempTree({ "support.csv": csv, "tickets.ndjson": ndjson })]);
    const found = r.findings.map((f) => `${f.location.path}|${f.location.column}|${f.piiType}|${f.reason}`).sort();
    expect(found).toEqual(["support.csv|notes|email|embedded in free text", "tickets.ndjson|ticket.body|email|embedded in free text"]);
    const f = r.findings[0];
    expect(f.evidence).toMatch(/^embedded in free text: 3\/6 sampled texts contain an email/);
    expect(f.evidence).not.toMatch(/ada\.l@example\.com/);
  });
});

describe("rules from config", () => {
  it("adds a header word to a built-in rule without losing its own", async () => {
    const config = buildConfig({ rules: [{ id: "phone", addHeaders: ["hotline"] }] }, "straymap.yaml", ROOT);
    const dir = tempTree({ "a.csv": "hotline,Telefon\n+1 415 555 0101,+1 415 555 0102\n" });
    const r = await sweepAll([dir], { config });
    expect(r.findings.map((f) => `${f.location.column}:${f.piiType}:${f.reason}`).sort()).toEqual(["Telefon:phone:header", "hotline:phone:header"]);
  });

  it("adds a customer-id format that is found whatever the column is called", async () => {
    const config = buildConfig({ rules: [{ id: "acme_customer", piiType: "customer_id", values: { pattern: "^ACME-\\d{6}$", alone: "." } }] }, "straymap.yaml", ROOT);
    const dir = tempTree({ "a.csv": "k,note\nACME-000101,x\nACME-000102,y\nACME-000103,z\nACME-000104,w\nACME-000105,v\n" });
    const r = await sweepAll([dir], { config });
    expect(r.findings.map((f) => `${f.location.column}:${f.piiType}:${f.reason}`)).toEqual(["k:customer_id:values"]);
  });
});
