import { serve } from "@hono/node-server";
import { withStore } from "../store/with-store.js";
import { createApp } from "./app.js";
import { allowedHosts, isLoopback, newSecrets } from "./security.js";

export interface ServeOptions {
  configFile?: string;
  port: number;
  host: string;
}

/** Start the web page; prints one line with its URL and access token. Resolves when the server stops (Ctrl-C). */
export function startServer(o: ServeOptions): Promise<void> {
  // Opened once for writing first: a bad config fails now, not on the first page, and a store written by an
  // older straymap is upgraded (the pages open it read-only, which cannot upgrade it).
  withStore(o.configFile, () => undefined);
  const secrets = newSecrets();
  return new Promise((resolve, reject) => {
    // Filled once listening (--port 0 takes a free port: the Host check knows the real one only then).
    const hosts = new Set<string>();
    const app = createApp({ configFile: o.configFile, secrets, hosts });
    const server = serve({ fetch: app.fetch, port: o.port, hostname: o.host }, (info) => {
      for (const h of allowedHosts(o.host, info.port)) hosts.add(h);
      const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
      if (!isLoopback(o.host)) {
        process.stderr.write(`straymap serve: WARNING: listening on ${o.host}, not loopback: anyone who can reach this address and has the token can use the page\n`);
      }
      process.stdout.write(`straymap serve: http://${shown}:${info.port}/?token=${secrets.token}\n`);
    });
    server.once("error", reject);
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
