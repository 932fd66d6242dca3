import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Temporary copies may hold customer data (an archive copied from S3 to be
// unzipped) or the store's contents: each sits in a 0700 folder named with the
// process id, is removed when done, and on every exit of this process; a
// process killed outright (SIGKILL) leaves its folders to the next run, which
// removes those whose process is gone (removeStaleTemp).
const TEMP_PREFIX = "straymap-tmp-";
const live = new Set<string>();
let exitHook = false;

function track(dir: string): string {
  live.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** A new folder only this user can enter (mkdtemp makes it 0700 whatever the umask), removed on exit at the latest. */
export async function privateTempDir(tmpDir = tmpdir()): Promise<string> {
  return track(await mkdtemp(join(tmpDir, `${TEMP_PREFIX}${process.pid}-`)));
}

export function privateTempDirSync(tmpDir = tmpdir()): string {
  return track(mkdtempSync(join(tmpDir, `${TEMP_PREFIX}${process.pid}-`)));
}

/** Remove a folder made by privateTempDir now. */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

export function removeTempDirSync(dir: string): void {
  live.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const swept = new Set<string>();

/** Remove temporary folders that runs of straymap killed before they could clean up left in `tmpDir` (once per process). */
export function removeStaleTemp(tmpDir: string): void {
  if (swept.has(tmpDir)) return;
  swept.add(tmpDir);
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return;
  }
  const me = process.getuid?.();
  for (const name of names) {
    const pid = name.startsWith(TEMP_PREFIX) ? Number(name.slice(TEMP_PREFIX.length).split("-")[0]) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    const dir = join(tmpDir, name);
    try {
      if (me === undefined || statSync(dir).uid === me) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or already gone.
    }
  }
}
