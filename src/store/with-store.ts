import { loadConfig, type Config } from "../config/load.js";
import { Store } from "./store.js";

/** Load the config, open its store, run `fn`, and close the store whatever happens. */
export function withStore<T>(configFile: string | undefined, fn: (config: Config, store: Store) => T): T {
  const config = loadConfig(configFile);
  const store = new Store(config.store);
  try {
    return fn(config, store);
  } finally {
    store.close();
  }
}
