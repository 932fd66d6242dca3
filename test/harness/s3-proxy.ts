import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";

// A small fault-injecting proxy in front of the S3 server: it counts requests,
// answers chosen requests with S3 error responses (503 SlowDown, 403
// AccessDenied), and speaks ListObjectVersions / GET ?versionId= from a
// version table, which s3rver lacks: old versions' bytes live under other keys.

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  code: string;
  /** How many matching requests fail; Infinity for all. */
  times: number;
}

export interface VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  /** Where the bytes of this version live on the real server (absent for a delete marker). */
  storedAt?: string;
  size?: number;
  deleteMarker?: boolean;
}

export class S3Proxy {
  readonly requests: { method: string; path: string; range?: string }[] = [];
  faults: Fault[] = [];
  versions: VersionEntry[] = [];
  /** Storage classes to report in listings (s3rver keeps every object STANDARD). */
  storageClasses = new Map<string, string>();
  private server?: Server;
  url = "";

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://proxy");
    const path = decodeURIComponent(url.pathname);
    this.requests.push({ method: req.method ?? "", path: `${path}${url.search}`, range: req.headers.range as string | undefined });
    const fault = this.faults.find((f) => f.times > 0 && f.method === req.method && f.path.test(path));
    if (fault) {
      fault.times--;
      res.writeHead(fault.status, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test proxy</Message><Resource>${path}</Resource></Error>`);
      return;
    }
    const bucket = path.split("/")[1];
    if (req.method === "GET" && url.searchParams.has("versions")) return this.listVersions(bucket, res);
    const versionId = url.searchParams.get("versionId");
    let forwardPath = req.url ?? "/";
    if (versionId) {
      const v = this.versions.find((e) => e.versionId === versionId);
      if (!v?.storedAt) {
        res.writeHead(404, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchVersion</Code><Message>no such version</Message></Error>`);
        return;
      }
      forwardPath = `/${bucket}/${v.storedAt.split("/").map(encodeURIComponent).join("/")}`;
    }
    const target = new URL(this.target);
    const rewriteListing = req.method === "GET" && url.searchParams.get("list-type") === "2" && this.storageClasses.size > 0;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: forwardPath, headers: req.headers }, (up) => {
      if (!rewriteListing) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const parts: Buffer[] = [];
      up.on("data", (c: Buffer) => parts.push(c));
      up.on("end", () => {
        const xml = Buffer.concat(parts).toString("utf8").replace(/<Contents>[\s\S]*?<\/Contents>/g, (block) => {
          const key = /<Key>([^<]*)<\/Key>/.exec(block)?.[1] ?? "";
          const cls = this.storageClasses.get(key);
          return cls ? block.replace(/<StorageClass>[^<]*<\/StorageClass>/, `<StorageClass>${cls}</StorageClass>`) : block;
        });
        const headers = { ...up.headers, "content-length": String(Buffer.byteLength(xml)) };
        res.writeHead(up.statusCode ?? 502, headers);
        res.end(xml);
      });
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  private listVersions(bucket: string, res: ServerResponse): void {
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const body = this.versions
      .map((v) =>
        v.deleteMarker
          ? `<DeleteMarker><Key>${esc(v.key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${v.isLatest}</IsLatest><LastModified>2026-11-01T00:00:00.000Z</LastModified></DeleteMarker>`
          : `<Version><Key>${esc(v.key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${v.isLatest}</IsLatest><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>"${v.versionId}"</ETag><Size>${v.size ?? 0}</Size><StorageClass>STANDARD</StorageClass></Version>`,
      )
      .join("");
    res.writeHead(200, { "content-type": "application/xml" });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${body}</ListVersionsResult>`);
  }
}
