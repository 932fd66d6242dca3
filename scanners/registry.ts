import type { ScannerModule } from "../src/engine/scanner.js";
import { fsScanner } from "./fs.js";
import { gdriveScanner } from "./gdrive.js";
import { gmailScanner } from "./gmail.js";
import { graphDriveScanner } from "./graph-drive.js";
import { graphMailScanner } from "./graph-mail.js";
import { imapScanner } from "./imap.js";
import { postgresScanner } from "./postgres.js";
import { s3Scanner } from "./s3.js";

/** Every source kind straymap knows. A new scanner is one module here. */
export const SCANNERS: Record<string, ScannerModule<any>> = {
  [fsScanner.kind]: fsScanner,
  [gdriveScanner.kind]: gdriveScanner,
  [gmailScanner.kind]: gmailScanner,
  [postgresScanner.kind]: postgresScanner,
  [s3Scanner.kind]: s3Scanner,
  [graphDriveScanner.kind]: graphDriveScanner,
  [graphMailScanner.kind]: graphMailScanner,
  [imapScanner.kind]: imapScanner,
};
