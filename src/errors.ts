/** A configuration problem, with the file and key it is about (exit 2). */
export class ConfigError extends Error {}

/** A mistake in how a command was used: a flag, an argument, a state that forbids it (exit 2). */
export class UsageError extends Error {}

/** A condition that stops reading an item on purpose (a limit): reported as skipped, not failed. */
export class SkipError extends Error {}
