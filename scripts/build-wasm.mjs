// Compiles src/search/search.wat to dist/src/search/search.wasm (part of npm run build).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import initWabt from "wabt";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src/search/search.wat");
const target = join(root, "dist/src/search/search.wasm");
const wabt = await initWabt();
const module = wabt.parseWat(source, readFileSync(source, "utf8"), { simd: true });
module.validate();
const { buffer } = module.toBinary({});
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, buffer);
module.destroy();
