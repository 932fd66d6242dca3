import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A real Dovecot IMAP server for tests: a standalone configuration in a 0700 temp folder (see
// ../../../shared/TESTING-NOTES.md for the facts it relies on), listening on 127.0.0.1 at a free port,
// with passwd-file users, maildir mailboxes and a raw log of every IMAP command clients send.

export const DOVECOT = "/usr/sbin/dovecot";

export interface DovecotUser {
  user: string;
  password: string;
}

export interface DovecotOptions {
  users: DovecotUser[];
  /** Also serve implicit TLS (imaps) with this certificate. */
  tls?: { cert: string; key: string };
}

export interface Dovecot {
  host: string;
  port: number;
  /** The imaps port when `tls` was given. */
  tlsPort?: number;
  dir: string;
  /** Every command line clients sent since the server started (or since `mark`), from Dovecot's rawlog, once the
   *  sessions that wrote them have ended (the rawlog is flushed at disconnect). Literal data (an APPENDed message)
   *  is left out: "A APPEND INBOX {249+}" is one line. */
  commands(since?: number): Promise<string[]>;
  /** A marker for `commands(since)`: the rawlog sessions that exist now are left out. */
  mark(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the server greets on the port. */
async function waitForGreeting(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("data", (d) => {
        socket.destroy();
        resolve(d.toString().startsWith("* OK"));
      });
      socket.once("error", () => resolve(false));
      socket.setTimeout(1000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not answer on 127.0.0.1:${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function config(dir: string, port: number, tlsPort: number | undefined): string {
  return `# straymap test server
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = straymap-test-${port}
log_path = ${dir}/dovecot.log
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
${tlsPort ? `ssl = yes\nssl_cert = <${dir}/tls-cert.pem\nssl_key = <${dir}/tls-key.pem` : "ssl = no"}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u
}
mail_location = maildir:${dir}/mail/%u
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Archive {
    auto = subscribe
    special_use = \\Archive
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
  }
}
protocol imap {
  rawlog_dir = ${dir}/rawlog/%u
}
`;
}

/** Start Dovecot; fails with one line when it is not installed. */
export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  if (!existsSync(DOVECOT)) throw new Error("dovecot is not installed: run `bash scripts/install-test-servers.sh`");
  const dir = mkdtempSync(join(tmpdir(), "straymap-dovecot-"));
  try {
    const port = await freePort();
    const tlsPort = options.tls ? await freePort() : undefined;
    for (const sub of ["run", "state", "home", "mail", "rawlog"]) mkdirSync(join(dir, sub));
    for (const u of options.users) {
      for (const sub of ["home", "mail", "rawlog"]) mkdirSync(join(dir, sub, u.user), { recursive: true });
    }
    if (options.tls) {
      writeFileSync(join(dir, "tls-cert.pem"), options.tls.cert, { mode: 0o600 });
      writeFileSync(join(dir, "tls-key.pem"), options.tls.key, { mode: 0o600 });
    }
    writeFileSync(join(dir, "users"), options.users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(""), { mode: 0o600 });
    writeFileSync(join(dir, "dovecot.conf"), config(dir, port, tlsPort), { mode: 0o600 });
    // Mail processes run as nobody (a root uid is refused): the folder is theirs and closed to everyone else.
    chownTree(dir, 65534, 65534);
    chmodSync(dir, 0o700);
    const child = spawn(DOVECOT, ["-F", "-c", join(dir, "dovecot.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const log = () => {
      const file = join(dir, "dovecot.log");
      return `${output.trim()} ${existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").slice(-5).join(" | ") : ""}`.trim();
    };
    await waitForGreeting(port, child, log);
    const rawlogs = (): string[] =>
      options.users.flatMap((u) => {
        const d = join(dir, "rawlog", u.user);
        return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith(".in")).map((f) => join(d, f)) : [];
      });
    let marked: Set<string>[] = [];
    return {
      host: "127.0.0.1",
      port,
      tlsPort,
      dir,
      async commands(since?: number) {
        const skip = since === undefined ? new Set<string>() : marked[since]!;
        const files = rawlogs().filter((f) => !skip.has(f)).sort();
        // A rawlog file is named <date>-<time>.<pid>.<n>.in; Dovecot logs "imap(user)<pid>…: Disconnected" when it ends.
        const ended = () => {
          const text = readFileSync(join(dir, "dovecot.log"), "utf8");
          return files.every((f) => new RegExp(`<${f.split(".").at(-3)}><[^>]*>: Info: Disconnected`).test(text));
        };
        for (const deadline = Date.now() + 5000; !ended() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 25));
        return files.flatMap((f) => commandLines(readFileSync(f, "utf8")));
      },
      mark() {
        marked.push(new Set(rawlogs()));
        return marked.length - 1;
      },
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          await exited;
        }
        marked = [];
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The client's lines from a rawlog ("<unix time> <line>" each), without the bytes of literals. */
function commandLines(rawlog: string): string[] {
  const out: string[] = [];
  let literal = 0;
  for (const raw of rawlog.split("\n")) {
    const line = raw.replace(/\r$/, "").replace(/^\d+\.\d+ /, "");
    if (literal > 0) {
      literal -= Buffer.byteLength(line) + 2;
      continue;
    }
    if (!line) continue;
    out.push(line);
    const m = /\{(\d+)\+?\}$/.exec(line);
    if (m) literal = Number(m[1]);
  }
  return out;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}
