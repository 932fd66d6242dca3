import { randomBytes } from "node:crypto";

// Builds RFC 5322 messages for tests that fill mailboxes (the Graph emulator, Dovecot): a text body and
// optional base64 attachments, with CRLF line ends as mail servers store them.

export interface TestMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  date?: Date;
  messageId?: string;
  attachments?: { filename: string; contentType: string; content: string | Buffer }[];
}

const base64Lines = (data: Buffer) => data.toString("base64").replace(/.{1,76}/g, "$&\r\n");

export function mime(mail: TestMail): string {
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${mail.subject}`,
    `Date: ${(mail.date ?? new Date("2026-11-02T09:30:00Z")).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${mail.messageId ?? `<${randomBytes(8).toString("hex")}@mail.example.com>`}`,
    "MIME-Version: 1.0",
  ];
  if (!mail.attachments?.length) {
    return [...headers, "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", mail.text, ""].join("\r\n");
  }
  const boundary = `b-${randomBytes(6).toString("hex")}`;
  const parts = [
    [`--${boundary}`, "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", mail.text].join("\r\n"),
    ...mail.attachments.map((a) =>
      [
        `--${boundary}`,
        `Content-Type: ${a.contentType}; name="${a.filename}"`,
        `Content-Disposition: attachment; filename="${a.filename}"`,
        "Content-Transfer-Encoding: base64",
        "",
        base64Lines(Buffer.from(a.content)),
      ].join("\r\n"),
    ),
  ];
  return [...headers, `Content-Type: multipart/mixed; boundary="${boundary}"`, "", ...parts, `--${boundary}--`, ""].join("\r\n");
}
