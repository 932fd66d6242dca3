import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Common, GoogleApis } from "googleapis";
import { ConfigError } from "../src/errors.js";
import { zod } from "../src/lazy.js";
import { RETRY, backoffMs, retryAfterMs } from "../src/sources/common.js";

// What the Google sources (gdrive, gmail) share: credentials (a service account with
// domain-wide delegation, Application Default Credentials, or an access token), the
// read-only scopes, the API root, the Directory listing behind `users: all`, retries
// through gaxios' own retry machinery, and errors in one line without secrets.

/** The only scopes straymap asks for: each reads, none writes. */
export const SCOPES = {
  drive: "https://www.googleapis.com/auth/drive.readonly",
  gmail: "https://www.googleapis.com/auth/gmail.readonly",
  directory: "https://www.googleapis.com/auth/admin.directory.user.readonly",
} as const;

export const GOOGLE_ROOT = "https://www.googleapis.com/";
/** Where google-auth-library sends JWT grants; a key file's own token_uri replaces it. */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Reads of one source at a time: Google calls are latency-bound, so more than the engine's default. */
export const GOOGLE_CONCURRENCY = 16;

export interface GoogleSettings {
  /** Mailboxes / drives to read: a list of addresses, or "all" (listed through the Directory API). */
  users?: string[] | "all";
  /** Path of a service-account key file; with domain-wide delegation each user is impersonated. */
  credentials?: string;
  /** An OAuth access token obtained elsewhere (e.g. `gcloud auth print-access-token`). */
  accessToken?: string;
  /** An administrator to impersonate for the Directory listing behind `users: all`. */
  admin?: string;
  /** API root URL (private or restricted endpoints, proxies). */
  endpoint: string;
  /** Items of this source read at once. */
  concurrency: number;
}

/** The zod fields every Google source has. */
export function googleFields() {
  const z = zod();
  return {
    users: z.union([z.literal("all"), z.array(z.string().email("give the user's primary email address")).min(1)]).optional(),
    credentials: z.string().min(1).optional(),
    accessToken: z.string().min(1).optional(),
    admin: z.string().email("give an administrator's email address").optional(),
    endpoint: z.string().url("use a URL such as https://www.googleapis.com/").default(GOOGLE_ROOT),
    concurrency: z.number().int().min(1).max(64).default(GOOGLE_CONCURRENCY),
  };
}

/** Checks that need more than one key, as a ConfigError naming the source. */
export function checkGoogleSettings(id: string, s: GoogleSettings): void {
  if (s.credentials && s.accessToken) throw new ConfigError(`source ${id}: give one of credentials or accessToken, not both`);
  if (s.users === "all" && !s.admin) throw new ConfigError(`source ${id}: users: all lists users through the Directory API as an administrator: add admin: <an admin's address>`);
  if (s.users === "all" && s.accessToken) throw new ConfigError(`source ${id}: users: all needs a service account with domain-wide delegation (credentials), not an access token`);
}

export type Google = GoogleApis;
// Types through googleapis' own re-exports: it bundles its own gaxios and google-auth-library.
type Auth = Common.OAuth2Client;
type GaxiosError = Common.GaxiosError;
type RetryConfig = Common.RetryConfig;

/** The googleapis package, loaded when a Google source opens (it takes seconds to import). */
export async function loadGoogle(): Promise<Google> {
  return (await import("googleapis")).google;
}

interface ServiceAccountKey {
  type?: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/**
 * Auth clients per user. With a service-account key each user is the JWT's subject
 * (domain-wide delegation); with ADC the same, when ADC is a service account; with an
 * access token every call carries that token.
 */
export class GoogleAuth {
  private readonly clients = new Map<string, Promise<Auth>>();
  private key?: ServiceAccountKey;

  constructor(
    private readonly google: Google,
    private readonly s: GoogleSettings,
    private readonly scopes: string[],
    configDir: string,
  ) {
    // A key file given in the config, or (Application Default Credentials) named by GOOGLE_APPLICATION_CREDENTIALS.
    const fromEnv = !s.credentials && !s.accessToken ? process.env.GOOGLE_APPLICATION_CREDENTIALS : undefined;
    const file = s.credentials ? resolve(configDir, s.credentials) : fromEnv;
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`credentials: cannot read the service-account key file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let key: ServiceAccountKey;
    try {
      key = JSON.parse(text) as ServiceAccountKey;
    } catch {
      throw new Error(`credentials: ${file} is not JSON: expected a service-account key file downloaded from the Cloud console`);
    }
    // ADC from a user login (gcloud) or an external account acts as one identity: no delegation.
    if (fromEnv && key.type !== "service_account") return;
    if (!key.client_email || !key.private_key) throw new Error(`credentials: ${file} is not a service-account key (no client_email or private_key)`);
    this.key = key;
  }

  /** Whether each user can be impersonated (a service-account key), or calls act as one fixed identity. */
  get delegated(): boolean {
    return this.key !== undefined;
  }

  /** The auth client acting as `subject` (undefined: the credential's own identity). */
  for(subject: string | undefined, scopes = this.scopes): Promise<Auth> {
    const k = `${subject ?? ""} ${scopes.join(" ")}`;
    let client = this.clients.get(k);
    if (!client) {
      client = this.make(subject, scopes);
      this.clients.set(k, client);
    }
    return client;
  }

  private async make(subject: string | undefined, scopes: string[]): Promise<Auth> {
    const { google } = this;
    if (this.s.accessToken) {
      const auth = new google.auth.OAuth2();
      auth.setCredentials({ access_token: this.s.accessToken });
      return auth;
    }
    if (this.key) {
      const jwt = new google.auth.JWT({ email: this.key.client_email, key: this.key.private_key, keyId: this.key.private_key_id, scopes, subject });
      redirectTokenRequests(jwt, this.key.token_uri);
      return jwt;
    }
    // Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's user login, or the metadata server.
    const adc = new google.auth.GoogleAuth({ scopes, ...(subject ? { clientOptions: { subject } } : {}) });
    return (await adc.getClient()) as Auth;
  }
}

/** A key file's own token_uri (a private endpoint, a proxy) is honoured; google-auth-library always uses Google's. */
function redirectTokenRequests(client: Auth, tokenUri: string | undefined): void {
  if (!tokenUri || tokenUri === GOOGLE_TOKEN_URL) return;
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (String(config.url).startsWith(GOOGLE_TOKEN_URL)) config.url = new URL(tokenUri);
      return config;
    },
  });
}

/** Google's error reason (userRateLimitExceeded, notFound, …) and status, from any gaxios error. */
export function googleError(e: unknown): { status?: number; reason?: string; message: string } {
  const err = e as GaxiosError & { status?: number };
  const status = err.response?.status ?? err.status;
  let data: unknown = err.response?.data;
  // Stream calls (downloads, exports) carry Google's JSON error in the message only.
  if (data === undefined && typeof err.message === "string" && err.message.trimStart().startsWith("{")) data = err.message;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      /* not JSON */
    }
  }
  const body = data as { error?: { message?: string; errors?: { reason?: string }[]; status?: string } | string; error_description?: string } | undefined;
  if (body && typeof body.error === "string") return { status, reason: body.error, message: `${body.error}${body.error_description ? `: ${body.error_description}` : ""}` };
  const apiError = body?.error && typeof body.error === "object" ? body.error : undefined;
  return {
    status,
    reason: apiError?.errors?.[0]?.reason ?? apiError?.status,
    message: (apiError?.message ?? (err as Error).message ?? String(e)).replace(/\s+/g, " ").trim(),
  };
}

/** One line for coverage: what was being done, Google's message, status and reason. Never the request's headers. */
export function describeGoogleError(what: string, e: unknown): string {
  const { status, reason, message } = googleError(e);
  const code = [status, reason].filter((x) => x !== undefined).join(" ");
  const note = reason === "exportSizeLimitExceeded" ? " (Google exports Docs Editors files up to 10 MB)" : "";
  return `${what}: ${message}${note}${code ? ` [${code}]` : ""}`;
}

/** An error carrying a one-line message for coverage; its cause keeps the gaxios error. */
export class GoogleCallError extends Error {
  constructor(
    what: string,
    override readonly cause: unknown,
  ) {
    super(describeGoogleError(what, cause));
  }
}

/** Run one API call; a failure becomes a GoogleCallError saying what was being done. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new GoogleCallError(what, e);
  }
}

/**
 * gaxios' retry, configured from the shared policy: 429, 5xx and Google's rate-limit
 * 403s are tried again with exponential backoff, or after the server's Retry-After.
 */
export function retryConfig(): RetryConfig {
  return {
    retry: RETRY.attempts - 1,
    noResponseRetries: 2,
    httpMethodsToRetry: ["GET", "HEAD"],
    shouldRetry: (err) => {
      const rc = err.config.retryConfig;
      if ((rc?.currentRetryAttempt ?? 0) >= (rc?.retry ?? 0)) return false;
      if (err.config.signal?.aborted) return false;
      const { status, reason } = googleError(err);
      if (status === undefined) return (rc?.currentRetryAttempt ?? 0) < (rc?.noResponseRetries ?? 0); // network error
      if (RETRY.statuses.includes(status)) return true;
      return status === 403 && reason !== undefined && RETRY.rateLimit403Reasons.includes(reason);
    },
    retryBackoff: (err) => {
      const header = err.response?.headers?.get?.("retry-after");
      const wait = retryAfterMs(header) ?? backoffMs((err.config.retryConfig?.currentRetryAttempt ?? 0) + 1);
      return new Promise((r) => setTimeout(r, wait));
    },
  };
}

/** Options every googleapis client of a source gets: the API root, the auth client, the retry policy. */
export function clientOptions(s: GoogleSettings, auth: Auth): { auth: Auth; rootUrl: string; retryConfig: RetryConfig } {
  return { auth, rootUrl: s.endpoint.endsWith("/") ? s.endpoint : `${s.endpoint}/`, retryConfig: retryConfig() };
}

export interface DirectoryUser {
  email: string;
  suspended: boolean;
}

/** The users to read: the configured list, or every user of the Workspace account (Directory API, as `admin`). */
export async function* listUsers(google: Google, auth: GoogleAuth, s: GoogleSettings): AsyncGenerator<DirectoryUser> {
  if (s.users !== "all") {
    for (const email of s.users ?? []) yield { email, suspended: false };
    return;
  }
  const admin = google.admin({ version: "directory_v1", ...clientOptions(s, await auth.for(s.admin, [SCOPES.directory])) });
  let pageToken: string | undefined;
  do {
    const res = await call(`listing users through the Directory API as ${s.admin}`, () =>
      admin.users.list({ customer: "my_customer", maxResults: 500, pageToken, orderBy: "email", fields: "nextPageToken,users(primaryEmail,suspended,archived)" }),
    );
    for (const u of res.data.users ?? []) if (u.primaryEmail) yield { email: u.primaryEmail, suspended: !!u.suspended || !!u.archived };
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken);
}
