import { readFileSync } from "node:fs";
import picomatch from "picomatch";
import { ConfigError } from "../errors.js";

/** The file, in a folder source's root, that lists what not to read (gitignore syntax). */
export const IGNORE_FILE = ".straymapignore";

interface Rule {
  line: number;
  text: string;
  negate: boolean;
  dirOnly: boolean;
  /** Whether the rule names this path itself. */
  self: (path: string) => boolean;
}

/** picomatch lets `dir/**` match `dir` itself; in gitignore it names only what is inside. */
function matcher(glob: string): (path: string) => boolean {
  const m = picomatch(glob, { dot: true });
  if (!glob.endsWith("/**")) return m;
  const folder = picomatch(glob.slice(0, -3), { dot: true });
  return (path) => m(path) && !folder(path);
}

/**
 * The rules of one ignore file, with gitignore's meaning: `#` comments, `!` to
 * read again what an earlier line left out, a trailing `/` for folders only, a
 * leading or inner `/` anchors the pattern to the root, otherwise it matches at
 * any depth; `*`, `?`, `[…]` and `**` as in git. The last line that matches wins.
 */
export class IgnoreRules {
  private constructor(
    readonly file: string,
    private readonly rules: Rule[],
  ) {}

  static parse(text: string, file: string): IgnoreRules {
    const rules: Rule[] = [];
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      let p = raw.replace(/(?<!\\)\s+$/, "");
      if (!p || p.startsWith("#")) continue;
      const negate = p.startsWith("!");
      if (negate) p = p.slice(1);
      if (p.startsWith("\\#") || p.startsWith("\\!")) p = p.slice(1);
      const dirOnly = p.endsWith("/");
      if (dirOnly) p = p.replace(/\/+$/, "");
      const anchored = p.includes("/");
      p = p.replace(/^\//, "");
      if (!p) continue;
      const glob = anchored ? p : `**/${p}`;
      try {
        rules.push({
          line: i + 1,
          text: raw.trim(),
          negate,
          dirOnly,
          self: matcher(glob),
        });
      } catch (e) {
        throw new ConfigError(`${file}: line ${i + 1}: "${raw.trim()}" is not a valid pattern: ${(e as Error).message}`);
      }
    }
    return new IgnoreRules(file, rules);
  }

  /** Read the file; undefined when there is none. */
  static load(file: string): IgnoreRules | undefined {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw new ConfigError(`${file}: cannot be read: ${(e as Error).message}`);
    }
    return IgnoreRules.parse(text, file);
  }

  /** The line that leaves this path out (a skip reason), or undefined when it is read. Paths are relative, "/"-separated. */
  reason(path: string, isDir: boolean): string | undefined {
    // The folders above the path: a rule that names one of them covers everything inside it.
    const parents: string[] = [];
    for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) parents.push(path.slice(0, i));
    let last: Rule | undefined;
    for (const r of this.rules) {
      if ((r.self(path) && (isDir || !r.dirOnly)) || parents.some((p) => r.self(p))) last = r;
    }
    return last && !last.negate ? `ignored by ${IGNORE_FILE} line ${last.line} (${last.text})` : undefined;
  }
}
