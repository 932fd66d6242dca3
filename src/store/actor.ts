import { AsyncLocalStorage } from "node:async_hooks";
import { userInfo } from "node:os";

// The web page acts for the person who named themselves in it, not for the login running `straymap serve`.
const acting = new AsyncLocalStorage<string>();

/** Who is acting: the name given to `actingAs` (the web page), else STRAYMAP_ACTOR, else the login name. */
export function actor(): string {
  return acting.getStore() ?? process.env.STRAYMAP_ACTOR ?? userInfo().username;
}

/** Run `fn` with everything it records attributed to `name`. */
export function actingAs<T>(name: string, fn: () => T): T {
  return acting.run(name, fn);
}
