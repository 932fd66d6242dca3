import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Make sure `.gitignore` (in the current folder) keeps `entry` out of git:
 * created when absent, the line appended when missing, never twice.
 * Returns what was done, in words.
 */
export function ignoreInGit(entry: string, file = ".gitignore"): string {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const bare = entry.replace(/^\/|\/$/g, "");
  const covered = text.split(/\r?\n/).some((l) => l.trim().replace(/^\/|\/$/g, "") === bare);
  if (covered) return `${file} already leaves out ${entry}`;
  writeFileSync(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${entry}\n`);
  return `${text ? "added" : "wrote"} ${entry} to ${file}`;
}
