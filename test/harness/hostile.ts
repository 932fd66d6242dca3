import { Store } from "../../src/store/store.js";
import { DataMap } from "../../src/map/data-map.js";
import { cancelRequest, closeRequest, openRequest, recordRun, setTask } from "../../src/requests/requests.js";
import { buildReport, type RequestReport } from "../../src/requests/report.js";

/** Text that tries to become structure in Markdown and HTML: headings, links, images, scripts, table cells, entities. */
export const HOSTILE =
  'x\n# Injected heading\n[click](https://evil.example/) <img src=x onerror=alert(1)> <script>alert(1)</script> | cell | **bold** ![i](http://evil.example/x.png) https://evil.example/ www.evil.example &lt;b&gt; `code` </td></tr></table><h1>x</h1> "q\' --> \r\n- list\n1. item\n> quote';

const MAP = new DataMap([
  { id: "crm", name: `CRM ${HOSTILE}`, owner: HOSTILE, data: [], action: "delete", locations: [{ source: "share", path: "crm/**" }] },
  { id: "vendor", name: "Mail vendor", owner: "ops@example.com", data: [], action: "vendor-ticket", locations: [] },
  { id: "backups", name: "Backups", owner: "ops@example.com", data: [], action: "expire", retention: "35 days", locations: [] },
]);

const emptyRun = (failed: number) => ({
  findings: [],
  coverage: {
    summary: { total: failed, scanned: 0, skipped: 0, failed, gaps: 0, skippedReasons: {} },
    items: Array.from({ length: failed }, () => ({ source: "share", uri: `file:///${HOSTILE}`, path: HOSTILE, status: "failed" as const, error: HOSTILE })),
  },
  warnings: [],
});

/** Reports of a closed and a cancelled request with hostile text in every field a person can type. */
export function hostileReports(): RequestReport[] {
  const store = new Store(":memory:");
  try {
    const config = { organisation: { name: HOSTILE, contact: HOSTILE, dpo: HOSTILE }, timezone: "Europe/Paris" };
    const a = openRequest(store, MAP, { emails: ["alice@example.com"] }, { owner: HOSTILE, verified: HOSTILE, legalBasis: HOSTILE });
    recordRun(store, a, ["share"], emptyRun(1), new Date());
    setTask(store, MAP, a, "crm", { outcome: "retained", reason: HOSTILE, note: HOSTILE, legalHold: true });
    setTask(store, MAP, a, "vendor", { outcome: "vendor-ticket", ref: HOSTILE });
    setTask(store, MAP, a, "backups", { outcome: "expiring", until: "2030-01-31" });
    closeRequest(store, a, HOSTILE);
    const b = openRequest(store, MAP, { ids: ["cus_8Hq2LmZ4"] }, { owner: HOSTILE });
    cancelRequest(store, b, "refused", HOSTILE);
    const c = openRequest(store, MAP, { ids: ["cus_8Hq2LmZ4"] }, { owner: HOSTILE, jurisdiction: "gdpr" });
    return [a, b, c].map((id) => buildReport(store, id, config));
  } finally {
    store.close();
  }
}
