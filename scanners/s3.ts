import { posix } from "node:path";
import type { Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
  paginateListObjectsV2,
  type ListObjectVersionsCommandOutput,
  type _Object,
} from "@aws-sdk/client-s3";
import picomatch from "picomatch";
import type { EnumerateContext, ScannerModule, Source } from "../src/engine/scanner.js";
import { memo, zod } from "../src/lazy.js";
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
  /** Attempts per request, with the SDK's standard backoff on throttling and 5xx. */
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
      maxAttempts: z.number().int().min(1).max(20).default(5),
    })
    .strict();
});

/** Storage classes whose objects must be restored before they can be read (Glacier Instant Retrieval is readable). */
const ARCHIVED = new Set(["GLACIER", "DEEP_ARCHIVE"]);

/** An S3 bucket (or prefix), read object by object through the shared readers. GET only. */
export class S3Source implements Source {
  readonly kind = "s3";
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly include?: picomatch.Matcher;
  private readonly exclude?: { glob: string; match: picomatch.Matcher }[];

  constructor(
    readonly id: string,
    private readonly s: S3Settings,
  ) {
    this.client = new S3Client({
      region: s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      ...(s.profile ? { profile: s.profile } : {}),
      maxAttempts: s.maxAttempts,
      retryMode: "standard",
    });
    this.prefix = s.prefix ?? "";
    this.include = s.include?.length ? picomatch(s.include, { dot: true }) : undefined;
    this.exclude = s.exclude?.map((glob) => ({ glob, match: picomatch(glob, { dot: true }) }));
  }

  private uri(key: string, versionId?: string): string {
    return `s3://${this.s.bucket}/${key}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;
  }

  /** Settle what need not be read; undefined when the object is to be read. */
  private settle(key: string, rel: string, size: number, storageClass: string | undefined, versionId?: string): Enumerated | undefined {
    const skip = (reason: string): Enumerated => ({ settled: { source: this.id, uri: this.uri(key, versionId), path: rel, status: "skipped", reason } });
    if (key.endsWith("/") && size === 0) return skip("folder placeholder (an empty object whose key ends in /)");
    const excluded = this.exclude?.find((x) => x.match(rel));
    if (excluded) return skip(`excluded by ${excluded.glob}`);
    if (this.include && !this.include(rel)) return skip("not matched by include");
    if (storageClass && ARCHIVED.has(storageClass)) return skip(`archived storage class ${storageClass}: restore the object to read it`);
    return undefined;
  }

  private item(key: string, rel: string, size: number, modified: Date | undefined, etag: string | undefined, versionId?: string): Item {
    const get = async (range?: string): Promise<Readable> => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}), ...(range ? { Range: range } : {}) }));
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
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.s.bucket, Prefix: this.prefix || undefined });
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
        new ListObjectVersionsCommand({ Bucket: this.s.bucket, Prefix: this.prefix || undefined, ...markers }),
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
        if (versionId) item.version = { id: versionId, deleted: deleted.has(key) };
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
