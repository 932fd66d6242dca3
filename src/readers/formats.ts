/** What kind of content an item holds, decided from its name first and its bytes second. */
export type Format = "csv" | "xlsx" | "json" | "ndjson" | "text" | "eml" | "mbox" | "gzip" | "zip";

const BY_EXTENSION: Record<string, Format> = {
  csv: "csv", tsv: "csv", psv: "csv", tab: "csv",
  xlsx: "xlsx", xlsm: "xlsx",
  json: "json",
  ndjson: "ndjson", jsonl: "ndjson",
  txt: "text", log: "text", sql: "text", md: "text", markdown: "text", html: "text", htm: "text",
  xml: "text", yaml: "text", yml: "text", ini: "text", conf: "text", cfg: "text", env: "text",
  properties: "text", vcf: "text", ics: "text", out: "text", err: "text", dump: "text",
  eml: "eml", msg822: "eml",
  mbox: "mbox", mbx: "mbox",
  gz: "gzip", gzip: "gzip",
  zip: "zip",
};

/** Formats that are binary and that no reader handles: a skip with this reason, without reading. */
const UNSUPPORTED: Record<string, string> = {
  xls: "legacy Excel .xls is not supported (save as .xlsx or CSV)",
  pdf: "PDF is not supported yet",
  doc: "Word .doc is not supported", docx: "Word .docx is not supported yet",
  ppt: "PowerPoint is not supported", pptx: "PowerPoint is not supported",
  msg: "Outlook .msg is not supported (export as .eml)",
  "7z": "7-Zip archives are not supported", rar: "RAR archives are not supported",
  tar: "tar archives are not supported yet", tgz: "tar archives are not supported yet",
  bz2: "bzip2 is not supported", xz: "xz is not supported",
  sqlite: "SQLite files are not supported yet", db: "database files are not supported",
  parquet: "Parquet is not supported yet", avro: "Avro is not supported",
};

/** MIME types that name a format outright (what drives and mail APIs report). */
const BY_CONTENT_TYPE: Record<string, Format> = {
  "message/rfc822": "eml",
  "application/mbox": "mbox",
  "text/csv": "csv",
  "text/tab-separated-values": "csv",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.ms-excel.sheet.macroenabled.12": "xlsx",
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/gzip": "gzip",
  "application/x-gzip": "gzip",
  "application/zip": "zip",
  "application/x-zip-compressed": "zip",
  "text/plain": "text",
  "text/html": "text",
  "text/markdown": "text",
  "application/sql": "text",
};

/**
 * The format a MIME type names, or undefined when it says nothing precise
 * (application/octet-stream, an unknown type): then the name decides.
 */
export function formatFromContentType(contentType: string): Format | undefined {
  const type = contentType.split(";")[0].trim().toLowerCase();
  return BY_CONTENT_TYPE[type];
}

export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1) : "";
}

export function formatFromName(name: string): Format | { unsupported: string } | undefined {
  const ext = extensionOf(name);
  if (ext in BY_EXTENSION) return BY_EXTENSION[ext];
  if (ext in UNSUPPORTED) return { unsupported: UNSUPPORTED[ext] };
  return undefined;
}

/** Recognise archives and mail by their first bytes when the name says nothing. */
export function formatFromBytes(head: Buffer): Format | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05)) return "zip";
  const start = head.subarray(0, 512).toString("latin1");
  if (/^From \S+/.test(start)) return "mbox";
  if (/^(Return-Path|Received|From|Message-ID|MIME-Version|Delivered-To):/im.test(start) && /^Subject:/im.test(head.subarray(0, 8192).toString("latin1"))) return "eml";
  return undefined;
}

/** Well-known binary signatures, so a skip can say what the file is. */
export function describeBinary(head: Buffer): string {
  const sigs: [number[], string][] = [
    [[0x89, 0x50, 0x4e, 0x47], "PNG image"],
    [[0xff, 0xd8, 0xff], "JPEG image"],
    [[0x47, 0x49, 0x46, 0x38], "GIF image"],
    [[0x25, 0x50, 0x44, 0x46], "PDF document"],
    [[0x7f, 0x45, 0x4c, 0x46], "ELF executable"],
    [[0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], "SQLite database"],
    [[0xd0, 0xcf, 0x11, 0xe0], "legacy Office document"],
    [[0x37, 0x7a, 0xbc, 0xaf], "7-Zip archive"],
    [[0x42, 0x5a, 0x68], "bzip2 data"],
  ];
  for (const [sig, what] of sigs) if (sig.every((b, i) => head[i] === b)) return `binary content (${what})`;
  return "binary content (not text)";
}

/** Formats whose raw bytes contain the text as written, so the byte prefilter can rule a file out. */
export const PLAIN_TEXT_FORMATS: ReadonlySet<Format> = new Set(["csv", "json", "ndjson", "text"]);
/** Formats with columns, for sweep. */
export const TABULAR_FORMATS: ReadonlySet<Format> = new Set(["csv", "xlsx", "json", "ndjson"]);
