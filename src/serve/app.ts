import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { ConfigError, type Config } from "../config/load.js";
import { ConflictError, UsageError } from "../errors.js";
import { DataMap } from "../map/data-map.js";
import { mapOverview } from "../map/overview.js";
import { acceptDiscovery, dismissDiscovery, planAccept, reviewQueue, type AcceptTarget } from "../review/discoveries.js";
import { setTask, type Outcome } from "../requests/requests.js";
import { buildReport } from "../requests/report.js";
import { reportPrinter } from "../requests/printers/index.js";
import { requestList, requestView } from "../requests/views.js";
import { actingAs } from "../store/actor.js";
import type { Store } from "../store/store.js";
import { withStore as openStore } from "../store/with-store.js";
import { APP_CSS } from "./assets.js";
import { layout } from "./layout.js";
import { mapPage } from "./pages/map-page.js";
import { previewPage, queuePage } from "./pages/review-page.js";
import { requestListPage, requestPage } from "./pages/requests-page.js";
import { guard, securityHeaders, type Secrets } from "./security.js";

const ACTOR_COOKIE = "straymap_actor";

export interface AppOptions {
  /** The config file (default ./straymap.yaml): read again on every request, as each CLI run does. */
  configFile?: string;
  secrets: Secrets;
  hosts: Set<string>;
}

type Form = Record<string, string>;

/**
 * The web page over the same library the CLI calls: every change goes through
 * the same functions into the same store and event log, as the person who
 * named themselves on the page. The store is opened per request, so the CLI's
 * transactions and the page's decide between them.
 */
export function createApp(o: AppOptions): Hono {
  const app = new Hono();
  // Pages only read (a read-only store); the POSTs write through the library functions.
  const withStore = <T>(fn: (config: Config, store: Store) => T): T => openStore(o.configFile, fn, true);
  const writing = <T>(fn: (config: Config, store: Store) => T): T => openStore(o.configFile, fn);
  const form = async (c: Context): Promise<Form> => {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).flatMap(([k, v]) => (typeof v === "string" ? [[k, v.trim()]] : [])));
  };
  /** Who is acting: the name the page asked for, kept in a cookie for the next form. */
  const actorOf = (c: Context, f: Form): string => {
    if (!f.actor) throw new UsageError("say who you are: Your name");
    setCookie(c, ACTOR_COOKIE, f.actor, { path: "/", sameSite: "Strict", httpOnly: true });
    return f.actor;
  };
  const ctx = (c: Context, extra: { notice?: string; actor?: string } = {}) => ({ csrf: o.secrets.csrf, actor: getCookie(c, ACTOR_COOKIE), ...extra });
  const back = (c: Context, to: string, notice: string) => c.redirect(`${to}?done=${encodeURIComponent(notice)}`, 303);

  app.onError((e, c) => {
    securityHeaders(c);
    const known = e instanceof UsageError || e instanceof ConfigError;
    const status = e instanceof ConflictError ? 409 : known ? 400 : 500;
    const title = status === 409 ? "Conflict: someone changed this first" : status === 400 ? "Not done" : "Something went wrong";
    const message = known ? e.message : "an unexpected error (see the terminal running straymap serve)";
    if (!known) process.stderr.write(`straymap serve: ${e.stack ?? e.message}\n`);
    return c.html(layout(title, "", "", { problem: `${message}. Nothing was changed by this page.` }), status);
  });

  app.get("/assets/app.css", (c) => c.body(APP_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.use("*", guard(o.secrets, o.hosts));
  app.get("/", (c) => c.redirect("/map", 303));

  app.get("/map", (c) => c.html(withStore((config, store) => mapPage(mapOverview(config, store)))));

  app.get("/review", (c) =>
    c.html(
      withStore((config, store) => {
        const systems = config.map ? mapOverview(config, store).systems : [];
        return queuePage(reviewQueue(store), systems, ctx(c, { notice: c.req.query("done") }));
      }),
    ),
  );
  const targetOf = (f: Form): AcceptTarget => (f.new ? { newSystem: { id: f.id ?? "", name: f.name ?? "", owner: f.owner ?? "", action: f.action ?? "delete" } } : { system: f.system });
  app.post("/review/:name/preview", async (c) => {
    const f = await form(c);
    const actor = actorOf(c, f);
    const target = targetOf(f);
    return c.html(withStore((config, store) => previewPage(planAccept(store, config, c.req.param("name"), target), target, ctx(c, { actor }))));
  });
  app.post("/review/:name/accept", async (c) => {
    const f = await form(c);
    const name = c.req.param("name");
    const plan = actingAs(actorOf(c, f), () => writing((config, store) => acceptDiscovery(store, config, name, targetOf(f), f.version || "missing")));
    return back(c, "/review", `${name} accepted into ${plan.system} (${plan.mapFile})`);
  });
  app.post("/review/:name/dismiss", async (c) => {
    const f = await form(c);
    const name = c.req.param("name");
    if (!f.reason) throw new UsageError(`${name}: a dismissal needs a reason`);
    actingAs(actorOf(c, f), () => writing((_config, store) => dismissDiscovery(store, name, f.reason)));
    return back(c, "/review", `${name} dismissed: ${f.reason}`);
  });

  app.get("/requests", (c) => c.html(withStore((config, store) => requestListPage(requestList(store, config)))));
  app.get("/requests/:id", (c) => c.html(withStore((config, store) => requestPage(requestView(store, config, c.req.param("id")), ctx(c, { notice: c.req.query("done") })))));
  app.post("/requests/:id/tasks", async (c) => {
    const f = await form(c);
    const id = c.req.param("id");
    const update = { outcome: f.outcome as Outcome, note: f.note || undefined, until: f.until || undefined, ref: f.ref || undefined, reason: f.reason || undefined, legalHold: f.legalHold === "1" };
    const t = actingAs(actorOf(c, f), () => writing((config, store) => setTask(store, config.map ? DataMap.load(config.map) : undefined, id, f.system ?? "", update)));
    return back(c, `/requests/${id}`, `${t.system}: ${t.outcome}`);
  });
  app.get("/requests/:id/report", (c) => {
    const text = withStore((config, store) => reportPrinter("html").print(buildReport(store, c.req.param("id"), config)));
    // The report is the file the CLI writes, its style inline: allowed by its hash, nothing else.
    securityHeaders(c, /<style>([\s\S]*?)<\/style>/.exec(text)?.[1]);
    return c.html(text);
  });

  // The same views as JSON, for scripts (the data `-f json` prints).
  app.get("/api/map", (c) => c.json(withStore((config, store) => mapOverview(config, store))));
  app.get("/api/review", (c) => c.json({ discoveries: withStore((_config, store) => reviewQueue(store)) }));
  app.get("/api/requests", (c) => c.json({ requests: withStore((config, store) => requestList(store, config)) }));
  app.get("/api/requests/:id", (c) => c.json(withStore((config, store) => requestView(store, config, c.req.param("id")))));
  return app;
}
