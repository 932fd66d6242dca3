// What printing a run needs, in one module: the CLI imports it once when a run
// starts, so the bundle loads these as one chunk instead of five.
export { PRINTERS } from "../report/printers/index.js";
export { summarize, incomplete } from "../engine/coverage.js";
export { exitCodeOf } from "../report/exit-codes.js";
export { ProgressLine } from "./progress.js";
export { wantColour, outputWidth } from "../report/colour.js";
