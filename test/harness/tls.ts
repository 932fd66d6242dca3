import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A throwaway TLS certificate for 127.0.0.1, made at test time. The Microsoft Graph client only sends its bearer
// token to https hosts, so the Graph emulator serves HTTPS with this certificate; Node trusts it through
// NODE_EXTRA_CA_CERTS, which is read once when a process starts: the vitest global setup (or a benchmark's parent
// process) makes the certificate and sets the variable before the test processes start.

export interface TestTls {
  dir: string;
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const ENV_DIR = "STRAYMAP_TEST_TLS_DIR";

/** Make the certificate in a fresh 0700 folder and point NODE_EXTRA_CA_CERTS at it (in this process's env). */
export async function createTestTls(): Promise<TestTls> {
  const { generate } = await import("selfsigned");
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 7 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), "straymap-tls-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  writeFileSync(certPath, pems.cert, { mode: 0o600 });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  process.env[ENV_DIR] = dir;
  process.env.NODE_EXTRA_CA_CERTS = certPath;
  return { dir, certPath, keyPath, cert: pems.cert, key: pems.private };
}

/** The certificate made by createTestTls in a parent process; a clear error when there is none or it is not trusted. */
export function testTls(): TestTls {
  const dir = process.env[ENV_DIR];
  const certPath = dir ? join(dir, "cert.pem") : "";
  if (!dir || !existsSync(certPath)) {
    throw new Error(`no test TLS certificate: the vitest global setup makes one (createTestTls in test/harness/tls.ts) and sets ${ENV_DIR}`);
  }
  if (process.env.NODE_EXTRA_CA_CERTS !== certPath) {
    throw new Error(`NODE_EXTRA_CA_CERTS must name ${certPath} when this process starts, or HTTPS to the emulator is not trusted`);
  }
  const keyPath = join(dir, "key.pem");
  return { dir, certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

export function removeTestTls(tls: { dir: string } | undefined): void {
  if (tls) rmSync(tls.dir, { recursive: true, force: true });
}

/** A client certificate (PEM with private key and certificate) for ClientCertificateCredential tests. */
export async function clientCertificate(commonName = "straymap-test-app"): Promise<{ pem: string; cert: string; key: string }> {
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: commonName }], { keySize: 2048, algorithm: "sha256" });
  return { pem: `${pems.private}\n${pems.cert}`, cert: pems.cert, key: pems.private };
}
