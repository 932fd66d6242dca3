import { resolve } from "node:path";
import { Readable } from "node:stream";
import type { z } from "zod";
import type { Enumerated } from "../src/types.js";
import { describeError } from "../src/engine/errors.js";
import { RETRY } from "../src/sources/common.js";
import { lazy } from "../src/lazy.js";

// Only for the words of an HTTP status in an error; the registry loads this module on every run.
const httpModule = lazy<typeof import("node:http")>("node:http");

// What the two Microsoft Graph scanners (graph-drive, graph-mail) share: app-only sign-in through
// @azure/identity, the Graph client with its retry middleware configured from the shared RETRY policy,
// lazy paging, content streams, and errors in one line without secrets. The SDKs load in connectGraph only.

export interface GraphAuthSettings {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** A PEM file holding the certificate and its private key (relative to the config file). */
  certificatePath?: string;
  /** Graph service root without the version (national clouds, proxies, tests). */
  endpoint: string;
  /** The login host, e.g. https://login.microsoftonline.us; token requests go there. */
  authorityHost?: string;
}

/** The settings every Graph source takes; `extra` adds the source's own. */
export function graphSettingsSchema<T extends z.ZodRawShape>(z: typeof import("zod").z, extra: T) {
  return z
    .object({
      tenantId: z.string().min(1, "give the directory (tenant) id of the app registration"),
      clientId: z.string().min(1, "give the application (client) id of the app registration"),
      clientSecret: z.string().min(1).optional(),
      certificatePath: z.string().min(1).optional(),
      endpoint: z
        .string()
        .url("use the Graph service root, e.g. https://graph.microsoft.com")
        .default("https://graph.microsoft.com")
        .transform((u) => u.replace(/\/+$/, "").replace(/\/v1\.0$/, "")),
      authorityHost: z.string().url("use the login host, e.g. https://login.microsoftonline.com").optional(),
      ...extra,
    })
    .strict()
    .refine((s) => Boolean((s as GraphAuthSettings).clientSecret) !== Boolean((s as GraphAuthSettings).certificatePath), { message: "give either clientSecret or certificatePath (one of them)", path: ["clientSecret"] });
}

export interface GraphPage<T> {
  value: T[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

export interface GraphApi {
  /** The Graph service root, e.g. https://graph.microsoft.com. */
  endpoint: string;
  get<T>(path: string): Promise<T>;
  /** Pages of a collection, following @odata.nextLink one page at a time; returns the deltaLink, if any. */
  pages<T>(path: string): AsyncGenerator<T[], string | undefined>;
  /** A content stream (the /content redirect is followed without the bearer token, as SharePoint needs). */
  stream(path: string, range?: string): Promise<Readable>;
  /** One line about a failed call, with no secret in it. */
  describe(e: unknown): string;
}

/** Sign in (app-only) and build a Graph client honouring `endpoint` and `authorityHost`. */
export async function connectGraph(s: GraphAuthSettings, configDir: string): Promise<GraphApi> {
  const [identity, graph] = await Promise.all([import("@azure/identity"), import("@microsoft/microsoft-graph-client")]);
  // A custom login host (national cloud, proxy) is trusted as given: no instance discovery at login.microsoftonline.com.
  const options = s.authorityHost ? { authorityHost: s.authorityHost, disableInstanceDiscovery: true } : {};
  const credential = s.clientSecret
    ? new identity.ClientSecretCredential(s.tenantId, s.clientId, s.clientSecret, options)
    : new identity.ClientCertificateCredential(s.tenantId, s.clientId, { certificatePath: resolve(configDir, s.certificatePath!) }, options);
  const endpoint = s.endpoint;
  const host = new URL(endpoint).hostname;

  // The client's own RetryHandler, configured from the shared policy: attempts, base delay, cap, and which
  // statuses are retried (it honours Retry-After itself). Its status list is fixed (429, 503, 504), so the
  // policy's list (500, 502 …) is given to it by overriding its check.
  const retryOptions = new graph.RetryHandlerOptions(RETRY.baseDelayMs / 1000, RETRY.attempts - 1);
  Object.assign(retryOptions, { getMaxDelay: () => RETRY.maxDelayMs / 1000 });
  const retry = new graph.RetryHandler(retryOptions);
  (retry as unknown as { isRetry(r: Response): boolean }).isRetry = (r: Response) => RETRY.statuses.includes(r.status);
  // The token is kept until five minutes before it expires: asking MSAL's cache on every call costs CPU that a
  // scan of many small files feels.
  let token: Promise<{ token: string; expires: number }> | undefined;
  const fetchToken = async () => {
    const t = await credential.getToken(`${endpoint}/.default`);
    if (!t) throw new Error("sign-in failed: no access token was returned");
    return { token: t.token, expires: t.expiresOnTimestamp };
  };
  const authProvider = {
    getAccessToken: async () => {
      const current = token ? await token.catch(() => undefined) : undefined;
      if (!current || current.expires - Date.now() < 5 * 60_000) {
        token = fetchToken();
        token.catch(() => (token = undefined));
      }
      return (await token!).token;
    },
  };
  const middleware = [
    new graph.AuthenticationHandler(authProvider),
    retry,
    new graph.RedirectHandler(new graph.RedirectHandlerOptions()),
    new graph.TelemetryHandler(),
    new graph.HTTPMessageHandler(),
  ];
  const client = graph.Client.initWithMiddleware({ middleware, baseUrl: `${endpoint}/`, defaultVersion: "v1.0", customHosts: new Set([host]) });
  const secret = s.clientSecret;

  return {
    endpoint,
    get: <T>(path: string) => client.api(path).get() as Promise<T>,
    async *pages<T>(path: string): AsyncGenerator<T[], string | undefined> {
      let url: string | undefined = path;
      let deltaLink: string | undefined;
      while (url) {
        const page = (await client.api(url).get()) as GraphPage<T>;
        yield page.value ?? [];
        url = page["@odata.nextLink"];
        deltaLink = page["@odata.deltaLink"];
      }
      return deltaLink;
    },
    async stream(path: string, range?: string) {
      const request = client.api(path);
      if (range) request.header("Range", range);
      // The engine reports a failed read with the error's message: make it the one-line description.
      const body = (await request.getStream().catch((e: unknown) => Promise.reject(new Error(describeGraphError(e, secret))))) as ReadableStream<Uint8Array> | null;
      return body ? Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>) : Readable.from([]);
    },
    describe: (e: unknown) => describeGraphError(e, secret),
  };
}

/** "Graph 404 MailboxNotEnabledForRESTAPI: The mailbox is …", or the sign-in failure's first sentence; secrets masked. */
export function describeGraphError(e: unknown, secret?: string): string {
  const err = e as { statusCode?: number; code?: string | null; message?: string; name?: string; errorCode?: string; cause?: { code?: string; message?: string } };
  const message = err?.message ?? "";
  // Azure AD's messages run on with timestamps, trace ids and links: the AADSTS code and its sentence are what help.
  const aadsts = /AADSTS\d+:.*?(?=\s+-\s+Correlation ID|\s+Trace ID:|\s+Correlation ID:|\s+Timestamp:|\r?\n|$)/s.exec(message)?.[0];
  let text: string;
  if (typeof err?.statusCode === "number" && err.statusCode > 0) {
    // A failed content stream comes without its JSON body: the status's name then says what there is.
    text = `Graph ${err.statusCode}${err.code ? ` ${err.code}` : ""}${message ? `: ${message}` : ` ${httpModule().STATUS_CODES[err.statusCode] ?? ""}`}`;
  } else if (aadsts) {
    text = `sign-in failed: ${aadsts}`;
  } else if (/endpoints_resolution_error|openid_config_error|network_error/.test(message)) {
    text = `sign-in failed: the login host did not answer (${/^\w+/.exec(message)?.[0]}); check authorityHost, tenantId and the network`;
  } else if (err?.cause?.code || err?.cause?.message) {
    // fetch's "fetch failed" hides the cause (refused, DNS, TLS) one level down.
    text = `${message}: ${err.cause.message ?? ""}${err.cause.code && !String(err.cause.message).includes(err.cause.code) ? ` (${err.cause.code})` : ""}`;
  } else {
    text = describeError(e);
  }
  text = text.replace(/\s+/g, " ").trim();
  if (secret && secret.length >= 6) text = text.split(secret).join("***");
  return text.replace(/Bearer [\w.~+/-]+=*/g, "Bearer ***");
}

/** Whether a Graph error is a 404 with one of these codes. */
export function isNotFound(e: unknown, ...codes: string[]): boolean {
  const err = e as { statusCode?: number; code?: string };
  return err?.statusCode === 404 && (codes.length === 0 || codes.includes(err.code ?? ""));
}

/**
 * Downloads the content of small items ahead of the readers, `window` at a time, so that a scan over many small
 * remote files waits on the network in parallel rather than once per file. The engine still reads
 * `limits.concurrency` items at once; items larger than `maxBytes` are opened when read.
 */
export async function* prefetched(entries: AsyncIterable<Enumerated>, window: number, maxBytes: number): AsyncGenerator<Enumerated> {
  if (window <= 1) {
    yield* entries;
    return;
  }
  // A pump lists ahead (up to `window` entries, their downloads started) while entries are handed on as they come.
  const it = entries[Symbol.asyncIterator]();
  const queue: Enumerated[] = [];
  let done = false;
  let stopped = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  const signal = (which: "wake" | "room") => {
    const f = which === "wake" ? wake : room;
    if (which === "wake") wake = undefined;
    else room = undefined;
    f?.();
  };
  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length >= window) {
          await new Promise<void>((r) => (room = r));
          continue;
        }
        const next = await it.next();
        if (next.done) break;
        queue.push(withPrefetch(next.value, maxBytes));
        signal("wake");
      }
    } catch (e) {
      failure = e;
    } finally {
      done = true;
      signal("wake");
    }
  })();
  try {
    for (;;) {
      const head = queue.shift();
      if (head) {
        signal("room");
        yield head;
        continue;
      }
      if (done) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    stopped = true;
    signal("room");
    await pump;
    if (!done || failure === undefined) await it.return?.(undefined);
  }
}

function withPrefetch(e: Enumerated, maxBytes: number): Enumerated {
  if (!("item" in e) || (e.item.size !== undefined && e.item.size > maxBytes)) return e;
  const item = e.item;
  // Of unknown size (a message): kept only if it stays within maxBytes, else opened again when read.
  const body = item.open().then(async (stream) => {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) return undefined; // leaving the loop closes the stream
      parts.push(Buffer.from(chunk as Buffer));
    }
    return Buffer.concat(parts);
  });
  body.catch(() => {}); // reported when the item is read
  return {
    item: {
      ...item,
      open: async () => {
        const data = await body;
        return data ? Readable.from([data]) : item.open();
      },
    },
  };
}
