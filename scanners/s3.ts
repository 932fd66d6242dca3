import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { ListObjectVersionsCommandOutput, S3Client, _Object } from "@aws-sdk/client-s3";
import type { EnumerateContext, OpenContext, ScannerModule, Source, SourceSession } from "../src/engine/scanner.js";
import { memo, zod } from "../src/lazy.js";
import { pathFilter, RETRY, type PathFilter } from "../src/sources/common.js";
import type { Enumerated, Item } from "../src/types.js";

export interface S3Settings {
  bucket: string;
  /** Only keys under this prefix; paths in findings are relative to it. */
  prefix?: string;
  /** Globs on keys (relative to the prefix). */
  include?: string[];
  exclude?: string[];
  region?: string;
  /** For S3-compatible stores: MinIO, R2, Wasabi, Ceph… */
  endpoint?: string;
  forcePathStyle: boolean;
  /** A profile from the shared AWS config; otherwise the standard credential chain. */
  profile?: string;
  /** Also read non-current versions: a "deleted" export that versioning keeps is still a copy. */
  versions: boolean;
  /** Attempts per request, with the SDK's standard backoff on throttling and 5xx (default: the shared retry policy's). */
  maxAttempts: number;
}

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      bucket: z.string().min(3, "give the bucket name"),
      prefix: z.string().optional(),
      include: z.array(z.string()).optional(),
      exclude: z.array(z.string()).optional(),
      region: z.string().optional(),
      endpoint: z.string().url("use a URL such as https://s3.example.com").optional(),
      forcePathStyle: z.boolean().default(false),
      profile: z.string().optional(),
      versions: z.boolean().default(false),
      maxAttempts: z.number().int().min(1).max(20).default(RETRY.attempts),
    })
    .strict();
});

/** Storage classes whose objects must be restored before they can be read (Glacier Instant Retrieval is readable). */
const ARCHIVED = new Set(["GLACIER", "DEEP_ARCHIVE"]);

type S3Sdk = typeof import("@aws-sdk/client-s3");

/** An S3 bucket (or prefix), read object by object through the shared readers. GET only. */
export class S3Source implements Source {
  readonly kind = "s3";

  constructor(
    readonly id: string,
    private readonly s: S3Settings,
  ) {
    // Checked now, so a bad glob is a configuration error before anything runs.
    pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async open(_ctx?: OpenContext): Promise<SourceSession> {
    // The SDK loads only when a bucket is read.
    const sdk = await import("@aws-sdk/client-s3");
    const s = this.s;
    const client = new sdk.S3Client({
      region: s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      ...(s.profile ? { profile: s.profile } : {}),
      maxAttempts: s.maxAttempts,
      retryMode: "standard",
    });
    return new S3Session(this.id, s, sdk, client);
  }
}

class S3Session implements SourceSession {
  private readonly prefix: string;
  private readonly filter: PathFilter;

  constructor(
    private readonly id: string,
    private readonly s: S3Settings,
    private readonly sdk: S3Sdk,
    private readonly client: S3Client,
  ) {
    this.prefix = s.prefix ?? "";
    this.filter = pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private uri(key: string, versionId?: string): string {
    return `s3://${this.s.bucket}/${key}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;
  }

  /** Settle what need not be read; undefined when the object is to be read. */
  private settle(key: string, rel: string, size: number, storageClass: string | undefined, versionId?: string): Enumerated | undefined {
    const skip = (reason: string): Enumerated => ({ settled: { source: this.id, uri: this.uri(key, versionId), path: rel, status: "skipped", reason } });
    if (key.endsWith("/") && size === 0) return skip("folder placeholder (an empty object whose key ends in /)");
    const filtered = this.filter(rel);
    if (filtered) return skip(filtered);
    if (storageClass && ARCHIVED.has(storageClass)) return skip(`archived storage class ${storageClass}: restore the object to read it`);
    return undefined;
  }

  private item(key: string, rel: string, size: number, modified: Date | undefined, etag: string | undefined, versionId?: string): Item {
    const get = async (range?: string): Promise<Readable> => {
      const out = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.s.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}), ...(range ? { Range: range } : {}) }));
      return out.Body as Readable;
    };
    return {
      source: this.id,
      uri: this.uri(key, versionId),
      path: rel,
      name: posix.basename(key),
      size,
      mtime: modified,
      etag: etag?.replace(/"/g, ""),
      open: () => get(),
      // A sweep of a big object reads its head only (one Range GET).
      openPrefix: (bytes: number) => get(`bytes=0-${bytes - 1}`),
    };
  }

  async *enumerate(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    if (this.s.versions) {
      yield* this.enumerateVersions(ctx);
      return;
    }
    const pages = this.sdk.paginateListObjectsV2({ client: this.client }, { Bucket: this.s.bucket, Prefix: this.prefix || undefined });
    for await (const page of pages) {
      for (const o of page.Contents ?? ([] as _Object[])) {
        if (ctx.signal?.aborted) return;
        const key = o.Key!;
        const rel = key.slice(this.prefix.length) || key;
        const size = o.Size ?? 0;
        yield this.settle(key, rel, size, o.StorageClass) ?? { item: this.item(key, rel, size, o.LastModified, o.ETag) };
      }
    }
  }

  /** Every version of every object: current ones, and older ones kept by versioning (flagged, with their version id). */
  private async *enumerateVersions(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page: ListObjectVersionsCommandOutput = await this.client.send(
        new this.sdk.ListObjectVersionsCommand({ Bucket: this.s.bucket, Prefix: this.prefix || undefined, ...markers }),
      );
      // A key whose latest entry is a delete marker was "deleted": its versions are copies all the same.
      const deleted = new Set((page.DeleteMarkers ?? []).filter((d) => d.IsLatest).map((d) => d.Key!));
      for (const v of page.Versions ?? []) {
        if (ctx.signal?.aborted) return;
        const key = v.Key!;
        const rel = key.slice(this.prefix.length) || key;
        const size = v.Size ?? 0;
        const versionId = v.IsLatest && !deleted.has(key) ? undefined : v.VersionId;
        const settled = this.settle(key, rel, size, v.StorageClass, versionId);
        if (settled) {
          yield settled;
          continue;
        }
        const item = this.item(key, rel, size, v.LastModified, v.ETag, versionId);
        // An old version says so in every location found in it.
        if (versionId) item.loc = { versionId, ...(deleted.has(key) ? { deleted: true } : {}) };
        yield { item };
      }
      if (!page.IsTruncated) return;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }
}

export const s3Scanner: ScannerModule<S3Settings> = {
  kind: "s3",
  description: "an S3 bucket or prefix (AWS or any S3-compatible store), read with GET only",
  settings: () => settings() as unknown as ReturnType<ScannerModule<S3Settings>["settings"]>,
  create: (id, s) => new S3Source(id, s),
};
