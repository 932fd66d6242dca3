import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CLI, cli, ROOT } from "../harness/helpers.js";
import { HAND_WRITTEN_MAP, RAW_ALICE, reviewWorkspace } from "../harness/review-workspace.js";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = join(ROOT, "test", "output", "serve");

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`serve.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or bash scripts/install-test-servers.sh)`);

describe.skipIf(!haveChromium)("straymap serve, in a real browser", () => {
  let dir: string;
  let server: ChildProcess;
  let url: URL;
  let browser: Browser;
  let page: Page;
  /** Every body the browser received, to look for raw identifiers. */
  const bodies: string[] = [];
  const run = (...args: string[]) => cli(args, dir, { STRAYMAP_ACTOR: "ops-cron" });
  const shot = (name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });

  /** A raw HTTP request, so Host and the other headers are exactly as given. */
  const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: url.port, method, path, headers: { Host: url.host, ...headers } }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const token = () => url.searchParams.get("token")!;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    dir = reviewWorkspace();
    expect(run("sweep").code).toBe(9);
    expect(run("request", "open", "--customer", "alice@example.com", "--id", "cus_8Hq2LmZ4", "--phone", "+1 415 555 0132", "--owner", "dana@example.com", "--jurisdiction", "gdpr").code).toBe(0);
    expect(run("scan", "--request", "REQ-0001").stderr).toMatch(/stored as run \d+ of REQ-0001/);
    server = spawn(process.execPath, [CLI, "serve", "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve) => server.stdout!.once("data", (d) => resolve(String(d))));
    expect(line).toMatch(/^straymap serve: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+\n$/);
    url = new URL(line.split(" ")[2].trim());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(5000);
    page.on("response", async (r) => bodies.push(await r.text().catch(() => "")));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
  });

  it("refuses a request without the token (401), a POST without the CSRF token (403), and a wrong Host (403)", async () => {
    expect((await raw("GET", "/map", {})).status).toBe(401);
    expect((await raw("GET", "/map", { Cookie: "straymap_token=guess" })).status).toBe(401);
    expect((await raw("GET", "/map", { Authorization: `Bearer ${token()}` })).status).toBe(200);
    const form = { Authorization: `Bearer ${token()}`, "Content-Type": "application/x-www-form-urlencoded" };
    const post = await raw("POST", "/review/D-1/dismiss", form, "actor=mallory&reason=gone");
    expect(post.status).toBe(403);
    expect(post.body).toMatch(/CSRF/);
    // DNS rebinding: the right token, but a name this server does not answer to.
    expect((await raw("GET", "/map", { Authorization: `Bearer ${token()}`, Host: `attacker.example:${url.port}` })).status).toBe(403);
    // Another site's form posting here.
    expect((await raw("POST", "/review/D-1/dismiss", { ...form, Origin: "http://attacker.example" }, "actor=m&reason=x")).status).toBe(403);
    // A sandboxed frame or a file posting here says "Origin: null": refused too.
    expect((await raw("POST", "/review/D-1/dismiss", { ...form, Origin: "null" }, "actor=m&reason=x")).status).toBe(403);
    expect(JSON.parse(run("review", "-f", "json").stdout).discoveries.length).toBeGreaterThan(2);
  });

  it("shows the map with owners, data, actions, sources and when each system was last found", async () => {
    await page.goto(url.href);
    // The token moved into a cookie; the address bar no longer shows it.
    expect(page.url()).toBe(`${url.origin}/map`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Data map");
    const crm = page.getByRole("row", { name: /CRM exports/ });
    await expect(crm.textContent()).resolves.toMatch(/crm-lead@example\.com.*email, name, phone.*delete.*share: leads\.xlsx/s);
    await expect(page.getByRole("row", { name: /Nightly backups/ }).textContent()).resolves.toMatch(/35d.*no scanner reaches it/s);
    await shot("map");
  });

  it("lists what map check finds wrong, each problem linked to its system's row", async () => {
    const mapFile = join(dir, "data-map.yaml");
    const original = readFileSync(mapFile, "utf8");
    writeFileSync(mapFile, `${original}  - id: old-crm\n    name: Old CRM\n    owner: crm-lead@example.com\n    data: [email]\n    action: delete\n    locations:\n      - source: retired-share\n        path: dump.csv\n`);
    try {
      await page.goto(`${url.origin}/map`);
      const problem = page.locator("li.problem", { hasText: 'unknown source "retired-share"' });
      await expect(problem.textContent()).resolves.toMatch(/old-crm/);
      await problem.getByRole("link", { name: "old-crm" }).click();
      expect(page.url()).toBe(`${url.origin}/map#system-old-crm`);
      await expect(page.locator("#system-old-crm").textContent()).resolves.toMatch(/Old CRM.*unknown source "retired-share"/s);
      await shot("map-problems");
    } finally {
      writeFileSync(mapFile, original);
    }
  });

  it("accepts a discovery into a system after showing the exact diff; data-map.yaml gains only that location", async () => {
    await page.getByRole("link", { name: "Review queue" }).click();
    const card = page.getByRole("region", { name: /customers-en\.csv/ });
    await shot("review-queue");
    const accept = card.locator("form").filter({ has: page.getByRole("button", { name: "Accept", exact: true }) });
    await accept.getByLabel("System").selectOption({ label: "CRM exports (crm-exports)" });
    await accept.getByLabel("Your name").fill("Priya (privacy lead)");
    await accept.getByRole("button", { name: "Accept", exact: true }).click();
    // Nothing written before the person has seen the change.
    expect(readFileSync(join(dir, "data-map.yaml"), "utf8")).toBe(HAND_WRITTEN_MAP);
    const diff = await page.getByLabel("Changes to data-map.yaml").textContent();
    expect(diff).toContain("        path: leads.xlsx\n+      - source: share\n+        path: customers-en.csv\n   - id: backups");
    expect(diff).not.toMatch(/^-/m);
    await shot("review-diff");
    await page.getByRole("button", { name: "Write to data-map.yaml" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/accepted into crm-exports/);

    writeFileSync(join(dir, "before.yaml"), HAND_WRITTEN_MAP);
    const changed = spawnSync("diff", [join(dir, "before.yaml"), join(dir, "data-map.yaml")], { encoding: "utf8" }).stdout.split("\n").filter((l) => /^[<>]/.test(l));
    expect(changed).toEqual(["> " + "      - source: share", "> " + "        path: customers-en.csv"]);
    expect(run("map", "check").code).toBe(0);
    // The name was asked once: the next form already has it.
    await expect(page.locator("form").first().getByLabel("Your name").inputValue()).resolves.toBe("Priya (privacy lead)");
  });

  it("a dismissal needs a reason", async () => {
    const card = page.getByRole("region", { name: /no-header\.csv/ });
    const dismiss = card.locator("form").filter({ has: page.getByRole("button", { name: "Dismiss" }) });
    await dismiss.getByRole("button", { name: "Dismiss" }).click();
    // The browser does not send it without a reason: still pending.
    expect(await dismiss.getByLabel("Reason").evaluate((e: HTMLInputElement) => e.validity.valueMissing)).toBe(true);
    expect(run("review").stdout).toMatch(/no-header\.csv/);
    // Nor does the server take it without one (a form sent by hand).
    const csrf = await dismiss.locator("input[name=csrf]").inputValue();
    const name = (await card.getByRole("heading").textContent())!.split(":")[0];
    const r = await page.request.post(`${url.origin}/review/${name}/dismiss`, { form: { csrf, actor: "Priya", reason: "" } });
    expect(r.status()).toBe(400);
    expect(await r.text()).toMatch(new RegExp(`${name}: a dismissal needs a reason`));
    await dismiss.getByLabel("Reason").fill("test fixture");
    await dismiss.getByRole("button", { name: "Dismiss" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/dismissed: test fixture/);
    expect(run("review").stdout).not.toMatch(/no-header\.csv/);
  });

  it("shows a conflict when the CLI decided the same discovery first, and writes nothing", async () => {
    const card = page.getByRole("region", { name: /kunden-de\.csv/ });
    const name = (await card.getByRole("heading").textContent())!.split(":")[0];
    const accept = card.locator("form").filter({ has: page.getByRole("button", { name: "Accept", exact: true }) });
    await accept.getByRole("button", { name: "Accept", exact: true }).click();
    await page.getByLabel("Changes to data-map.yaml").waitFor();
    expect(run("review", "dismiss", name, "--reason", "decided on the command line").code).toBe(0);
    const before = readFileSync(join(dir, "data-map.yaml"), "utf8");
    await page.getByRole("button", { name: "Write to data-map.yaml" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toMatch(/^Conflict/);
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(new RegExp(`${name} was already dismissed by ops-cron`));
    await shot("conflict");
    expect(readFileSync(join(dir, "data-map.yaml"), "utf8")).toBe(before);
  });

  it("sets a request's task; the CLI's request show sees it with the page's actor", async () => {
    await page.getByRole("link", { name: "Requests" }).click();
    await expect(page.getByRole("row", { name: /REQ-0001/ }).textContent()).resolves.toMatch(/open.*dana@example\.com.*due in \d+ days/s);
    await shot("requests");
    await page.getByRole("link", { name: "REQ-0001" }).click();
    await expect(page.getByText(/customer a\*\*\*\*@example\.com/).count()).resolves.toBe(1);

    // The same required fields as the CLI: vendor-ticket needs a reference.
    const backups = page.getByRole("form", { name: "Outcome for backups" });
    await backups.getByLabel("Outcome").selectOption("vendor-ticket");
    await backups.getByRole("button", { name: "Set outcome" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/vendor-ticket needs --ref/);
    await page.goBack();

    await backups.getByLabel("Outcome").selectOption("expiring");
    await backups.getByLabel("Until (expiring, YYYY-MM-DD)").fill("2030-01-31");
    await backups.getByRole("button", { name: "Set outcome" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toBe("backups: expiring");
    await expect(page.getByRole("row", { name: /Nightly backups/ }).textContent()).resolves.toMatch(/expiring.*until: 2030-01-31.*Priya \(privacy lead\)/s);
    await expect(page.getByText(/keyed hash chain intact/).count()).resolves.toBe(1);
    await shot("request");

    const show = run("request", "show", "REQ-0001").stdout;
    expect(show).toMatch(/backups +expiring +Nightly backups +\(Priya \(privacy lead\), /);
    expect(show).toMatch(/Priya \(privacy lead\) +task$/m);
    expect(run("request", "verify", "REQ-0001").code).toBe(0);
  });

  it("opens the same HTML report the CLI writes", async () => {
    const [report] = await Promise.all([page.waitForEvent("popup"), page.getByRole("link", { name: "Open report" }).click()]);
    await report.waitForLoadState();
    await expect(report.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Erasure request REQ-0001 (DRAFT)");
    // Its inline style is allowed by its hash: the page is styled, not bare.
    expect(await report.locator(".draft-banner").evaluate((e) => getComputedStyle(e).fontWeight)).not.toBe("400");
    await report.screenshot({ path: join(OUTPUT, "report.png"), fullPage: true });
    const cli = run("request", "report", "REQ-0001", "-f", "html").stdout;
    const strip = (s: string) => s.replace(/Generated [^<]*/g, "").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "");
    expect(strip(await report.content()).replace(/\s+/g, "")).toContain(strip(cli).replace(/<!doctype html>/i, "").replace(/\s+/g, "").slice(0, 200));
    await report.close();
  });

  it("no page or API response carries a raw identifier", async () => {
    for (const path of ["/api/map", "/api/review", "/api/requests", "/api/requests/REQ-0001", "/requests/REQ-0001/report"]) {
      const r = await page.request.get(`${url.origin}${path}`);
      expect(r.status(), path).toBe(200);
      bodies.push(await r.text());
    }
    expect(bodies.length).toBeGreaterThan(10);
    for (const b of bodies) expect(b).not.toMatch(RAW_ALICE);
    expect(JSON.parse(bodies[bodies.length - 2]).customer).toEqual(expect.arrayContaining([{ kind: "email", masked: "a****@example.com" }]));
  });
});
