import { createHmac, randomBytes } from "node:crypto";
import { accessSync, chmodSync, constants, copyFileSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../errors.js";
import { lazy } from "../lazy.js";
import { privateTempDirSync, removeTempDirSync } from "../private-temp.js";
import { LATEST, MIGRATIONS } from "./schema.js";
import { upgradeToV3 } from "./upgrade.js";
import { EventLog } from "./events.js";
import { RunRepository } from "./runs.js";
import { RequestRepository } from "./requests-repo.js";
import { DiscoveryRepository } from "./discoveries.js";

const Database = lazy<typeof BetterSqlite3>("better-sqlite3");

export { actor } from "./actor.js";
export type { StoredEvent } from "./events.js";

export interface StoreOptions {
  /** The HMAC key, for a store in memory (tests); a file store keeps its key in `hmac.key` beside it. */
  key?: Buffer;
  /**
   * For commands that only read (request list/show/report/verify, review, map check): the
   * database is opened read-only and nothing beside it is created, so they work on a
   * read-only `.straymap/` (a mounted backup, a colleague's copy) and cannot change it.
   */
  readOnly?: boolean;
}


/** How long a writer waits for another process's transaction before giving up (ms). */
const BUSY_WAIT = 15_000;

/**
 * The embedded store (SQLite, `.straymap/straymap.db`): requests and their
 * tasks (replayed from each request's event log), scan runs with redacted
 * findings, sweep discoveries, and the keyed, hash-chained event log. The
 * HMAC key for identifier hashes and chain links lives beside it, never in it.
 * All SQL lives in the repositories here.
 */
export class Store {
  private readonly db!: BetterSqlite3.Database;
  /** A read-only store in a read-only folder is read from this private copy. */
  private readonly copy?: string;
  private readonly key!: Buffer;
  readonly events: EventLog;
  readonly runs: RunRepository;
  readonly requests: RequestRepository;
  readonly discoveries: DiscoveryRepository;
  /** The folder beside the database: the key, open requests' identifier files, the sweep cache. */
  readonly folder: string;

  constructor(
    readonly file: string,
    options: StoreOptions = {},
  ) {
    const inMemory = file === ":memory:";
    const readOnly = Boolean(options.readOnly) && !inMemory;
    if (readOnly) mustExist(file);
    else if (!inMemory) prepareFolder(file);
    // An in-memory store still needs a folder for open requests' identifier files: a private temporary one.
    this.folder = inMemory ? privateTempDirSync() : dirname(file);
    if (readOnly) ({ db: this.db, copy: this.copy } = openReadOnly(file));
    else this.db = new (Database())(file, { timeout: BUSY_WAIT });
    if (!inMemory && !readOnly) ownerOnly(file);
    // Deleted rows are overwritten, not left in free pages.
    this.db.pragma("secure_delete = ON");
    this.events = new EventLog(this.db, (text) => this.mac(text));
    this.runs = new RunRepository(this.db);
    this.requests = new RequestRepository(this.db);
    this.discoveries = new DiscoveryRepository(this.db);
    try {
      if (!inMemory && !readOnly) retryBusy(() => this.db.pragma("journal_mode = WAL"));
      this.key = options.key ?? (inMemory ? randomBytes(32) : loadKey(file, holdsHashes(this.db), readOnly));
      if (readOnly) this.mustBeCurrent();
      else this.migrate();
    } catch (e) {
      this.db.close();
      throw explained(e, file, this.folder);
    }
  }

  /** For commands that only read: the store read-only, or an empty one in memory when nothing was ever recorded. */
  static reader(file: string): Store {
    if (!existsSync(file)) return new Store(":memory:");
    try {
      return new Store(file, { readOnly: true });
    } catch (e) {
      // Written by an older straymap: upgraded once where it may be written (as any writing command would), then read.
      if (!(e instanceof OlderStoreError) || !writable(file)) throw e;
      new Store(file).close();
      return new Store(file, { readOnly: true });
    }
  }

  /** The schema version this store is at. */
  get version(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /** A read-only store cannot be upgraded in place: say how to upgrade it. */
  private mustBeCurrent(): void {
    if (this.version < LATEST) {
      throw new OlderStoreError(`${this.file} was written by an older straymap (schema ${this.version}, this one reads ${LATEST}) and is open read-only here: run any writing command (e.g. straymap request open … or review accept) where it is writable, and it is upgraded`);
    }
  }

  private migrate(): void {
    let scrubbed = false;
    for (;;) {
      const done = this.write(() => {
        const at = this.version;
        if (at >= LATEST) return true;
        const step = MIGRATIONS.find((m) => m.version === at + 1);
        if (step) step.up(this.db);
        else if (at + 1 === 3) {
          scrubbed = upgradeToV3(this.db, this);
        } else throw new StoreError(`${this.file}: no way to upgrade schema version ${at}`);
        this.db.pragma(`user_version = ${at + 1}`);
        return false;
      });
      if (done) break;
    }
    // Evidence scrubbed in place: rebuild the file so no old page keeps it.
    if (scrubbed) this.db.exec("VACUUM");
  }

  /** A keyed hash of a normalised identifier: comparable later, reversible never. */
  hash(kind: string, normalised: string): string {
    return this.mac(`${kind}:${normalised}`);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("hex");
  }

  /**
   * Run `fn` in one write transaction taken at its start (BEGIN IMMEDIATE), so
   * what it reads cannot change before it writes; waits for other writers and
   * retries when the database stays busy.
   */
  write<T>(fn: () => T): T {
    try {
      return retryBusy(() => this.db.transaction(fn).immediate());
    } catch (e) {
      throw explained(e, this.file, this.folder);
    }
  }

  /** Everything written so far moved into the database file and the write-ahead log emptied. */
  close(): void {
    try {
      if (this.db.open && !this.db.readonly && this.file !== ":memory:") this.db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // Another process is reading: it checkpoints when it closes.
    }
    this.db.close();
    if (this.copy) removeTempDirSync(this.copy);
    if (this.file === ":memory:") removeTempDirSync(this.folder);
  }
}

/** SQLite's errors a user can act on, said in words that name the file; others pass through. */
function explained(e: unknown, file: string, folder: string): unknown {
  const code = (e as { code?: string }).code ?? "";
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return new StoreError(`${file} is not a readable straymap store (${(e as Error).message}): it is damaged or not a database. Restore it from a backup.`);
  }
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN") {
    return new StoreError(`${file}: cannot write to the store (${(e as Error).message}); this command records what it does, so it needs write access to ${folder}`);
  }
  return e;
}

function retryBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_WAIT * 2;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (!code.startsWith("SQLITE_BUSY") || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 80);
    }
  }
}

/** Group and others lose every right; the owner keeps hers (a folder she made read-only stays read-only). */
function ownerOnly(path: string): void {
  chmodSync(path, statSync(path).mode & 0o700);
}

/** `.straymap/` readable by its owner only, whatever the umask; an empty database file refused. */
function prepareFolder(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    ownerOnly(dir);
  } catch (e) {
    throw new StoreError(`${dir}: cannot make the store folder private to its owner (${(e as NodeJS.ErrnoException).code}); run straymap as the folder's owner`);
  }
  if (existsSync(file)) {
    refuseEmpty(file, "Restore it from a backup, or remove it to start an empty store.");
  } else {
    // Made aside and linked into place, never seen empty: another process starting now either finds no
    // file (and makes its own, which loses the link race) or a whole one.
    const tmp = `${file}.${process.pid}.new`;
    try {
      closeSync(openSync(tmp, "w", 0o600));
      const db = new (Database())(tmp);
      db.pragma("journal_mode = WAL");
      db.close();
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    }
  }
}

/** A store at an older schema version, opened read-only: it cannot be upgraded in place. */
class OlderStoreError extends StoreError {}

function writable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function mustExist(file: string): void {
  if (!existsSync(file)) throw new StoreError(`${file}: no straymap store here yet (nothing has been recorded; straymap init or request open makes one)`);
  refuseEmpty(file, "Restore it from a backup.");
}

/** A 0-byte database is a truncated store, never silently taken for an empty one. */
function refuseEmpty(file: string, remedy: string): void {
  if (statSync(file).size === 0) throw new StoreError(`${file} is an empty file (0 bytes), not a straymap store: it may have been truncated. ${remedy}`);
}

/**
 * Read-only, and still readable where the folder is read-only too. A WAL database
 * needs a -shm file beside it, which SQLite cannot create in a read-only folder;
 * then the database (with its -wal, if one was left) is read from a copy in a
 * private temporary folder, removed on close. The store holds no raw identifier.
 */
function openReadOnly(file: string): { db: BetterSqlite3.Database; copy?: string } {
  const db = new (Database())(file, { readonly: true, fileMustExist: true, timeout: BUSY_WAIT });
  try {
    db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get();
    return { db };
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code ?? "";
    if (code !== "SQLITE_READONLY_DIRECTORY" && code !== "SQLITE_CANTOPEN") throw e;
    const copy = privateTempDirSync();
    const local = join(copy, basename(file));
    copyFileSync(file, local);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${local}-wal`);
    return { db: new (Database())(local, { readonly: true, fileMustExist: true }), copy };
  }
}

/** Whether the store already keeps keyed hashes (a lost key would make them useless). */
function holdsHashes(db: BetterSqlite3.Database): boolean {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'").get();
  return Boolean(table && db.prepare("SELECT 1 FROM requests LIMIT 1").get());
}

function loadKey(file: string, hashesExist: boolean, readOnly = false): Buffer {
  const keyFile = join(dirname(file), "hmac.key");
  if (!existsSync(keyFile)) {
    // Nothing keyed to check against: a throwaway key serves a read-only look.
    if (readOnly && !hashesExist) return randomBytes(32);
    if (hashesExist) {
      throw new StoreError(
        `${keyFile} is missing, but ${file} holds keyed hashes of requests' customers: without that key restore-check cannot recognise them and event logs cannot be verified. ` +
          `Restore hmac.key from where you back it up (apart from the database, so one stolen backup does not hold both); a new key is not made for a store that has hashes.`,
      );
    }
    // Written aside, then linked into place: a process starting at the same moment reads a whole key or makes none.
    const tmp = `${keyFile}.${process.pid}.tmp`;
    writeFileSync(tmp, randomBytes(32).toString("hex"), { mode: 0o600 });
    try {
      linkSync(tmp, keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  if (!readOnly) ownerOnly(keyFile);
  const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
  if (key.length < 16) throw new StoreError(`${keyFile}: not a straymap key (expected 64 hex digits)`);
  return key;
}
