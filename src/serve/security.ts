import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";

export const TOKEN_COOKIE = "straymap_token";

/** The secrets of one `straymap serve`: the access token in the URL it prints, and the CSRF token its forms carry. */
export interface Secrets {
  token: string;
  csrf: string;
}

export function newSecrets(): Secrets {
  const token = randomBytes(24).toString("base64url");
  return { token, csrf: createHmac("sha256", token).update("csrf").digest("base64url") };
}

/** Equal without telling by its timing how much of a guess was right. */
export function same(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The `Host` values this server answers to: what it listens on, and the loopback names for it. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([host.includes(":") ? `[${host}]` : host]);
  if (isLoopback(host)) for (const n of ["127.0.0.1", "localhost", "[::1]"]) names.add(n);
  return new Set([...names].map((n) => `${n}:${port}`));
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A strict Content-Security-Policy and no caching, on every response; `style` allows one inline style by its hash (the report). */
export function securityHeaders(c: Context, inlineStyle?: string): void {
  const style = inlineStyle ? `'sha256-${createHash("sha256").update(inlineStyle).digest("base64")}'` : "'self'";
  c.header("Content-Security-Policy", CSP.replace("style-src 'self'", `style-src ${style}`));
  c.header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on its own forms.
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
}

/**
 * Every request: a `Host` this server answers to (DNS rebinding), the access
 * token (header, or the cookie set from the printed URL), and for anything
 * that changes state a POST from this origin with the CSRF token.
 */
export function guard(secrets: Secrets, hosts: Set<string>): MiddlewareHandler {
  return async (c, next) => {
    securityHeaders(c);
    const host = c.req.header("host") ?? "";
    if (!hosts.has(host)) return c.text(`refused: Host "${host}" is not this server`, 403);
    const origin = c.req.header("origin");
    // "null" (a sandboxed frame, a file) is another origin too.
    if (origin && !hosts.has(origin.replace(/^http:\/\//, ""))) return c.text("refused: a request from another origin", 403);
    const url = new URL(c.req.url);
    const fromUrl = url.searchParams.get("token");
    if (c.req.method === "GET" && same(fromUrl, secrets.token)) {
      // The token moves from the URL (and browser history) into a cookie only this origin sends.
      c.header("Set-Cookie", `${TOKEN_COOKIE}=${secrets.token}; Path=/; HttpOnly; SameSite=Strict`);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname === "/" ? "/map" : url.pathname}${url.search}`, 303);
    }
    const bearer = c.req.header("authorization")?.replace(/^Bearer /i, "");
    if (!same(bearer ?? c.req.header("x-straymap-token") ?? getCookie(c, TOKEN_COOKIE), secrets.token)) {
      return c.text("refused: this page needs the access token (open the URL straymap serve printed)", 401);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      if (c.req.method !== "POST") return c.text("refused: only GET and POST", 405);
      const form = c.req.header("content-type")?.startsWith("application/x-www-form-urlencoded") ? await c.req.parseBody() : {};
      const csrf = c.req.header("x-csrf-token") ?? (typeof form.csrf === "string" ? form.csrf : undefined);
      if (!same(csrf, secrets.csrf)) return c.text("refused: a change needs the page's CSRF token", 403);
    }
    await next();
  };
}
