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

/** Why a file with this extension is not read, or undefined when the extension says nothing. */
export function unsupportedByName(extension: string): string | undefined {
  return Object.hasOwn(UNSUPPORTED, extension) ? UNSUPPORTED[extension] : undefined;
}

/** What a well-known binary signature at the start says the content is, or undefined. */
export function knownBinary(head: Buffer): string | undefined {
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
  for (const [sig, what] of sigs) if (sig.every((b, i) => head[i] === b)) return what;
  return undefined;
}

/** Well-known binary signatures, so a skip can say what the file is. */
export function describeBinary(head: Buffer): string {
  return `binary content (${knownBinary(head) ?? "not text"})`;
}
