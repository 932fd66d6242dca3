import { chmodSync, rmSync } from "node:fs";
import { afterAll } from "vitest";
import { madeFolders } from "./helpers.js";

// Every test file leaves the temp directory as it found it.
afterAll(() => {
  for (const dir of madeFolders.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A test may have locked a folder (chmod 000): open it up, then remove it.
      chmodSync(dir, 0o700);
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    }
  }
});
