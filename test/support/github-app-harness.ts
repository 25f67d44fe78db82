import { generateKeyPairSync } from "node:crypto";
import { afterEach, expect } from "vitest";
import { createGitHubApp } from "../../src/github/github-app.ts";
import { collectingLogger } from "./collecting-logger.ts";
import { createFakeGitHub } from "./github-msw.ts";
import { useMsw } from "./msw.ts";

export const APP_ID = "424242";

/** A fresh App key per test file, PKCS#1 like the .pem GitHub hands out. */
export function generateAppKeyPair() {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}

/**
 * One msw server for the file; `arrange()` gives each test its own fake GitHub,
 * App (so a fresh token cache), collecting logger and installation id. After
 * each test, no fake may have refused a request: it refuses (and records) wrong
 * credentials, a query other than AUDIT_QUERY and variables not built for it.
 */
export function useFakeGitHub() {
  const { privateKey, publicKey } = generateAppKeyPair();
  const server = useMsw();
  const arranged: ReturnType<typeof createFakeGitHub>[] = [];
  afterEach(() => {
    for (const fake of arranged.splice(0)) expect(fake.state.rejections).toEqual([]);
  });
  let nextInstallationId = 1000;

  function arrange(baseUrl = "https://api.github.com") {
    const fake = createFakeGitHub({ baseUrl, appId: APP_ID, publicKeyPem: publicKey });
    arranged.push(fake);
    server.use(...fake.handlers);
    const { logger, lines } = collectingLogger({ level: "trace" });
    const mints: number[] = [];
    const github = createGitHubApp({
      appId: APP_ID,
      privateKey,
      baseUrl,
      logger,
      onTokenMint: (id) => mints.push(id),
    });
    // Every credential this arrangement could leak: tokens issued, App JWTs seen, the key's lines.
    const secrets = () => [
      ...fake.state.issuedTokens.map((t) => t.token),
      ...fake.state.appJwts,
      ...privateKey.split("\n").filter((line) => line !== "" && !line.startsWith("-----")),
    ];
    return { fake, github, lines, mints, secrets, installationId: nextInstallationId++ };
  }

  return { arrange, privateKey };
}
