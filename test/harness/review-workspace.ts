import { cpSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, tempTree } from "./helpers.js";

/** Her identifiers as given to `request open`, in any form a leak would take. */
export const RAW_ALICE = /alice@example\.com|cus_8Hq2LmZ4|4155550132|415.555.0132/i;

/** A data map written by hand: unpadded flow sequences, comments, a long line, a system no scanner reaches. */
export const HAND_WRITTEN_MAP = [
  "# Our data map. Reviewed every quarter.",
  "systems:",
  "  - id: crm-exports # the CRM's nightly export",
  "    name: CRM exports",
  "    owner: crm-lead@example.com",
  "    data: [email, name, phone]",
  "    action: delete",
  "    notes: exported every night by the CRM job and copied to the share for the finance team, who reconcile it monthly",
  "    locations:",
  "      - source: share",
  "        path: leads.xlsx",
  "  - id: backups",
  "    name: Nightly backups",
  "    owner: ops@example.com",
  "    data: [email]",
  "    retention: 35d",
  "    action: expire",
  "",
].join("\n");

/** A folder with that map, a config whose one source `share` is the sweep fixtures, ready to sweep. */
export function reviewWorkspace(): string {
  const dir = tempTree({ "data-map.yaml": HAND_WRITTEN_MAP, "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: ./exports\nmap: data-map.yaml\n" });
  cpSync(join(FIXTURES, "sweep"), join(dir, "exports"), { recursive: true });
  return dir;
}
