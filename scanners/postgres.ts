import type { ScannerModule, Source, SourceSession } from "../src/engine/scanner.js";
import { memo, zod } from "../src/lazy.js";
import { pathFilter } from "../src/sources/common.js";
import type { PostgresSettings } from "./postgres/settings.js";

export type { PostgresSettings };

const DURATION = /^\d+\s*(us|ms|s|min|h|d)?$/;

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      url: z.string().regex(/^postgres(ql)?:\/\//, "use a postgres:// URL").optional(),
      host: z.string().optional(),
      port: z.number().int().min(1).max(65535).optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      database: z.string().optional(),
      sslmode: z.enum(["disable", "prefer", "require", "verify-full"]).optional(),
      schemas: z.array(z.string()).optional(),
      include: z.array(z.string()).optional(),
      exclude: z.array(z.string()).optional(),
      statementTimeout: z.union([z.number().int().positive().transform((n) => `${n}ms`), z.string().regex(DURATION, "use a duration such as 30s, 500ms or 2min")]).default("30s"),
      lockTimeout: z.union([z.number().int().positive().transform((n) => `${n}ms`), z.string().regex(DURATION, "use a duration such as 2s or 500ms")]).default("2s"),
      bytea: z.boolean().default(false),
      followForeignKeys: z.number().int().min(0).max(10).default(3),
    })
    .strict()
    .refine((s) => s.url || s.host, { message: "give url (e.g. url: ${DATABASE_URL}) or host", path: ["url"] });
});

/** A PostgreSQL database, searched with SQL in read-only transactions. The driver loads when it runs. */
export class PostgresSource implements Source {
  readonly kind = "postgres";

  constructor(
    readonly id: string,
    private readonly s: PostgresSettings,
  ) {
    // Checked now, so a bad glob is a configuration error before anything runs.
    pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async open(): Promise<SourceSession> {
    const { PostgresSession } = await import("./postgres/search.js");
    return new PostgresSession(this.id, this.s);
  }
}

export const postgresScanner: ScannerModule<PostgresSettings> = {
  kind: "postgres",
  description: "a PostgreSQL database, searched with read-only SQL",
  settings: () => settings() as unknown as ReturnType<ScannerModule<PostgresSettings>["settings"]>,
  create: (id, s) => new PostgresSource(id, s),
};
