import { PassThrough, Transform, pipeline, type Readable } from "node:stream";

/** Pipe streams together so that an error anywhere reaches whoever reads the end. */
export function chain(first: Readable, ...rest: NodeJS.ReadWriteStream[]): Readable {
  const out = new PassThrough();
  pipeline([first, ...rest, out], () => {
    // Errors are delivered to `out` by pipeline; nothing more to do here.
  });
  return out;
}

/** A pass-through that counts bytes, for ratio checks against compressed input. */
export function byteCounter(): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _e, done) {
      t.bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}
