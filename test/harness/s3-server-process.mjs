// Runs s3rver (an S3-protocol server) for the tests in a process of its own.
// Started with NODE_OPTIONS=--openssl-legacy-provider: s3rver encrypts
// continuation tokens with DES, and without it listing past page one fails.
// Prints {"url"} on its first line; stops on SIGTERM or when stdin ends.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

const directory = mkdtempSync(join(tmpdir(), "straymap-s3-"));
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, allowMismatchedSignatures: true });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => {});
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
