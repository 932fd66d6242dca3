import { loadConfig, type Config } from "../config/load.js";
import { Store } from "./store.js";

/** Load the config, open its store (read-only for what only reads), run `fn`, and close the store whatever happens. */
export function withStore<T>(configFile: string | undefined, fn: (config: Config, store: Store) => T, readOnly = false): T {
  const config = loadConfig(configFile);
  const store = readOnly ? Store.reader(config.store) : new Store(config.store);
  try {
    return fn(config, store);
  } finally {
    store.close();
  }
}
