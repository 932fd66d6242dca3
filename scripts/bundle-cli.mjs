// Bundles the CLI (part of npm run build): tsc writes one file per module, and
// Node spends most of a short run resolving and loading ~100 of them. The bundle
// replaces dist/src/cli/straymap.js with one module plus chunks that load only when
// their verb or source kind runs (dynamic imports stay dynamic). The few small
// packages every run needs (CLI parsing, globs, CSV) are bundled too; all other
// packages stay external, so SDKs still load only when a source needs them.
// The library (dist/src/index.js) and the search worker stay as tsc wrote them.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const EVERY_RUN = ["commander", "picomatch", "csv-parse", "p-limit", "yocto-queue", "bytes"];
const { dependencies } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const external = Object.keys(dependencies).filter((d) => !EVERY_RUN.includes(d)).flatMap((d) => [d, `${d}/*`]);
const out = join(root, "dist/src/cli");
for (const f of readdirSync(out)) if (f.startsWith("chunk-")) rmSync(join(out, f));

await build({
  entryPoints: { straymap: join(out, "main.js") },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  chunkNames: "chunk-[hash]",
  // Bundled CommonJS (commander) requires Node's built-ins: give every chunk a require.
  banner: { js: 'import { createRequire as __straymapRequire } from "node:module";\nconst require = __straymapRequire(import.meta.url);' },
  logLevel: "warning",
});
