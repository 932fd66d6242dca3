/** straymap's version, printed by --version and carried in machine-readable output (kept equal to package.json by a test). */
export const VERSION = "0.1.0";
