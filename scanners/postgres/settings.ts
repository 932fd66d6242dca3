/** What a postgres source is configured with (validated in scanners/postgres.ts). */
export interface PostgresSettings {
  /** postgres://user@host:port/db; the password only through ${ENV_VAR}. */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: "disable" | "prefer" | "require" | "verify-full";
  /** Schemas to search (default: all but the system ones). */
  schemas?: string[];
  /** Globs on schema.table. */
  include?: string[];
  exclude?: string[];
  /** Longest any one statement may run, e.g. 30s, 500ms, 2min. */
  statementTimeout: string;
  /** Longest a statement waits for a lock. */
  lockTimeout: string;
  /** Also search bytea columns (as escaped text). */
  bytea: boolean;
  /** How many foreign keys to follow from her rows to rows that reference them. */
  followForeignKeys: number;
}
