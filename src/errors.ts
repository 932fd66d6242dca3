/** A configuration problem, with the file and key it is about (exit 2). */
export class ConfigError extends Error {}

/** A mistake in how a command was used: a flag, an argument, a state that forbids it (exit 2). */
export class UsageError extends Error {}

/** The store cannot be used as it is (an empty database file, a lost hash key): exit 2, with what to do. */
export class StoreError extends UsageError {}

/** A condition that stops reading an item on purpose (a limit): reported as skipped, not failed. */
export class SkipError extends Error {}

/** Someone else changed it first (another process, another page): the change was not made (exit 2; HTTP 409). */
export class ConflictError extends UsageError {}
