import { Readable } from "node:stream";
import type { AddressObject, ParsedMail } from "mailparser";
import type { IdentifierKind, Item, Location } from "../types.js";
import { formatBytes } from "../limits.js";
import type { FormatSpec } from "./spec.js";
import type { ReadOptions, Unit } from "./types.js";

// The MIME parser is big: it loads with the first message.
const parseMail = async (source: Readable | Buffer): Promise<ParsedMail> => (await import("mailparser")).simpleParser(source);

const ADDRESS_HEADERS = ["from", "to", "cc", "bcc", "reply-to", "sender", "delivered-to", "return-path"];

function addressText(value: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!value) return undefined;
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(", ");
}

function* textLines(text: string, part: string, base: Partial<Location>): Generator<Unit> {
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "") yield { kind: "line", loc: { ...base, part, line: i + 1 }, text: lines[i] };
  }
}

/** Every header (address headers decoded), every body part decoded, attachments as nested items. */
function* messageUnits(mail: ParsedMail, item: Item, base: Partial<Location>): Generator<Unit> {
  const loc = { ...base, messageId: mail.messageId, ...(base.date === undefined && mail.date && !Number.isNaN(mail.date.getTime()) ? { date: mail.date.toISOString() } : {}) };
  const decoded: Record<string, string | undefined> = {
    from: addressText(mail.from),
    to: addressText(mail.to),
    cc: addressText(mail.cc),
    bcc: addressText(mail.bcc),
    "reply-to": addressText(mail.replyTo),
    subject: mail.subject,
  };
  for (const { key, line } of mail.headerLines) {
    const text = decoded[key] ?? (ADDRESS_HEADERS.includes(key) ? undefined : line);
    yield { kind: "line", loc: { ...loc, part: `header:${key}` }, text: text ?? line };
  }
  if (mail.text) yield* textLines(mail.text, "text", loc);
  if (typeof mail.html === "string") yield* textLines(mail.html, "html", loc);
  for (const [i, a] of mail.attachments.entries()) {
    const name = a.filename || `attachment-${i + 1}${a.contentType === "text/plain" ? ".txt" : ""}`;
    const content = a.content;
    yield {
      kind: "child",
      loc: { ...loc, part: `attachment:${name}` },
      item: { source: item.source, uri: item.uri, path: item.path, name, size: a.size, open: async () => Readable.from([content]) },
    };
  }
}

/** One RFC 822 message (.eml). */
export async function* readEml(item: Item, stream: Readable): AsyncGenerator<Unit[]> {
  yield [...messageUnits(await parseMail(stream), item, {})];
}

/** Split an mbox into raw messages at "From " lines that follow a blank line, without holding the file in memory. */
async function* mboxMessages(
  stream: Readable,
  maxBytes: number,
  identifierIn?: ReadOptions["identifierIn"],
): AsyncGenerator<{ index: number; raw?: Buffer; tooLarge?: number; seen?: IdentifierKind }> {
  let parts: Buffer[] = [];
  let size = 0;
  let index = 0;
  let oversize = false;
  // A message too large to parse is still looked at line by line: is she in it?
  let seen: IdentifierKind | undefined;
  let carry = Buffer.alloc(0);
  let prevBlank = true;
  const flush = function* () {
    if (index > 0) yield oversize ? { index, tooLarge: size, seen } : { index, raw: Buffer.concat(parts) };
    parts = [];
    size = 0;
    oversize = false;
    seen = undefined;
  };
  const take = function* (line: Buffer) {
    if (prevBlank && line.subarray(0, 5).toString("latin1") === "From ") {
      yield* flush();
      index++;
      prevBlank = false;
      return; // the "From " separator line is not part of the message
    }
    prevBlank = line.length === 0 || (line.length === 1 && line[0] === 13);
    if (index === 0) return;
    size += line.length + 1;
    if (size > maxBytes && !oversize) {
      oversize = true;
      // What was gathered is not parsed: look at it, then let it go.
      for (const p of parts) seen ??= identifierIn?.(p);
      parts = [];
    }
    if (!oversize) parts.push(line, Buffer.from("\n"));
    else seen ??= identifierIn?.(line);
  };
  for await (const chunk of stream) {
    const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf(10, start)) !== -1) {
      yield* take(buf.subarray(start, nl));
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start));
  }
  if (carry.length) yield* take(carry);
  yield* flush();
}

/** An mbox mailbox: each message read like an .eml, located by its number (from 1) and Message-ID. */
export async function* readMbox(item: Item, stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  const maxBytes = options.budget.limits.maxMessageBytes;
  for await (const m of mboxMessages(stream, maxBytes, options.identifierIn)) {
    const name = `message ${m.index}`;
    if (m.tooLarge !== undefined) {
      const reason = `message larger than limits.maxMessageBytes (${formatBytes(maxBytes)})`;
      yield [{ kind: "skip", name, reason, ...(m.seen ? { seen: m.seen, loc: { message: m.index } } : {}) }];
      continue;
    }
    yield [...messageUnits(await parseMail(m.raw!), item, { message: m.index })];
  }
}

/** A single RFC 5322 message (.eml, or what mail APIs hand over as message/rfc822). */
export const emlFormat: FormatSpec = {
  id: "eml",
  extensions: ["eml", "msg822"],
  contentTypes: ["message/rfc822"],
  sniff: (head) => {
    const start = head.subarray(0, 512).toString("latin1");
    return /^(Return-Path|Received|From|Message-ID|MIME-Version|Delivered-To):/im.test(start) && /^Subject:/im.test(head.subarray(0, 8192).toString("latin1"));
  },
  plainText: false,
  tabular: false,
  holds: "attachments",
  prefixReadable: false,
  memoryLimit: (limits) => ({ name: "maxMessageBytes", bytes: limits.maxMessageBytes }),
  read: (item, stream) => readEml(item, stream),
};

/** A mailbox file of many messages. */
export const mboxFormat: FormatSpec = {
  id: "mbox",
  extensions: ["mbox", "mbx"],
  contentTypes: ["application/mbox"],
  sniff: (head) => /^From \S+/.test(head.subarray(0, 512).toString("latin1")),
  plainText: false,
  tabular: false,
  holds: "attachments",
  prefixReadable: false,
  read: readMbox,
};
