import net from "node:net";
import { expect, it } from "vitest";
import { collect } from "../../src/index.js";
import { Engine, ScanJob } from "../../src/engine/run.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import type { Source, SourceSession } from "../../src/engine/scanner.js";
import { CustomerMatcher, type CustomerQuery } from "../../src/match/customer.js";
import type { Enumerated, ScanEvent } from "../../src/types.js";

/**
 * The contract every item source keeps, as one suite each scanner's test calls:
 * creating a source does no I/O; every enumerated item ends in exactly one
 * coverage entry; an abort is honoured; no secret appears in what it prints.
 */
export interface ContractSubject {
  /** Creates the source (from its settings, as the config would). */
  create(): Source;
  /** At least this many items are listed (the abort test needs more than a few). */
  minItems: number;
  /** A source whose credentials are wrong, and the secret it was given: no output may contain it. */
  withWrongSecret?: () => { source: Source; secret: string };
}

const QUERY: CustomerQuery = { emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"] };

/** Counts connections opened (sockets) while `fn` runs. */
function connectionsDuring(fn: () => void): number {
  let count = 0;
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  try {
    fn();
  } finally {
    net.Socket.prototype.connect = original;
  }
  return count;
}

/** The source, with every item it lists recorded. */
function recording(source: Source, listed: Enumerated[]): Source {
  return {
    id: source.id,
    kind: source.kind,
    open: async (ctx) => {
      const session = await source.open(ctx);
      const wrapped: SourceSession = {
        enumerate: session.enumerate
          ? async function* (c) {
              for await (const e of session.enumerate!(c)) {
                listed.push(e);
                yield e;
              }
            }
          : undefined,
        close: () => session.close(),
      };
      return wrapped;
    },
  };
}

const run = (source: Source, options: ConstructorParameters<typeof Engine>[1] = {}) =>
  new Engine(new ScanJob(new CustomerMatcher(QUERY), QUERY), options).run([source]);

/** `subject` is called inside each test (after the suite's servers have started). */
export function sourceContract(subject: () => ContractSubject, options: { secrets?: boolean } = {}): void {
  it("source contract: creating a source does no I/O", () => {
    const s = subject();
    expect(connectionsDuring(() => s.create())).toBe(0);
  });

  it("source contract: every listed item ends in exactly one coverage entry", async () => {
    const s = subject();
    const listed: Enumerated[] = [];
    const r = await collect(run(recording(s.create(), listed)));
    expect(listed.length).toBeGreaterThanOrEqual(s.minItems);
    for (const e of listed) {
      const uri = "item" in e ? e.item.uri : e.settled.uri;
      const entries = r.coverage.items.filter((c) => c.uri === uri && c.member === undefined);
      expect(entries, uri).toHaveLength(1);
    }
    // Nothing but what was listed (and no source-level failure).
    expect(r.coverage.items.filter((c) => c.member === undefined)).toHaveLength(listed.length);
  });

  it("source contract: an abort stops listing and reading", async () => {
    const s = subject();
    const listed: Enumerated[] = [];
    const controller = new AbortController();
    const limits = { ...DEFAULT_LIMITS, concurrency: 1 };
    const events: ScanEvent[] = [];
    for await (const e of run(recording(s.create(), listed), { signal: controller.signal, limits })) {
      events.push(e);
      if (e.type === "coverage" && events.filter((x) => x.type === "coverage").length === 2) controller.abort();
    }
    // At most what was already waiting to be read when the abort came (2 × concurrency) is read after it.
    const covered = events.filter((e) => e.type === "coverage").length;
    expect(covered).toBeLessThanOrEqual(2 + 2 * limits.concurrency + 1);
    expect(listed.length).toBeLessThan(s.minItems);
  });

  it.runIf(options.secrets)("source contract: a wrong secret never appears in errors", async () => {
    const { source, secret } = subject().withWrongSecret!();
    const r = await collect(run(source));
    const printed = JSON.stringify(r);
    expect(r.coverage.summary.failed).toBeGreaterThan(0);
    expect(printed).not.toContain(secret);
  });
}
