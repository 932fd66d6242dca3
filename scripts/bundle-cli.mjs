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

// commander requires node:child_process (and with it node:net) at load, only to
// run external subcommand executables, which straymap has none of: hand it a
// stand-in that loads the real module on first use.
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes("/node_modules/commander/") ? { path: "child_process", namespace: "lazy-child-process" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "lazy-child-process" }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });',
      loader: "js",
    }));
  },
};

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
  plugins: [lazyChildProcess],
  logLevel: "warning",
});
