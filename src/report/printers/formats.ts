/** The names `--format` takes, listed without loading the printers (start-up stays light; a test keeps them equal to PRINTERS). */
export const FORMATS = ["table", "json", "ndjson", "csv", "sarif"] as const;
export type Format = (typeof FORMATS)[number];
