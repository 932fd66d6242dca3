const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C or a cron timeout (SIGINT, SIGTERM) stops a run gently: no new item is
 * started, what was read is reported and remembered (an interrupted sweep resumes
 * where it stopped), and the process exits 130 or 143. A second signal ends it at once.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  private received?: keyof typeof CODES;

  constructor() {
    for (const name of Object.keys(CODES) as (keyof typeof CODES)[]) {
      process.on(name, () => {
        if (this.received) process.exit(CODES[this.received]);
        this.received = name;
        process.stderr.write(`straymap: ${name}: stopping after the items being read (again to stop now)\n`);
        this.controller.abort();
      });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The exit code the signal asks for, when one arrived. */
  get exitCode(): number | undefined {
    return this.received ? CODES[this.received] : undefined;
  }
}
