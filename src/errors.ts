/**
 * A mistake in how a command was used (a wrong request id, an impossible date,
 * a state change the request does not allow): exit 2 with the message, apart
 * from errors in the config files (ConfigError) and from bugs (exit 3).
 */
export class UsageError extends Error {}

/** The store cannot be used as it is (an empty database file, a lost hash key): exit 2, with what to do. */
export class StoreError extends UsageError {}
