import { randomBytes, randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { http, HttpResponse } from "msw";
import { beforeAll, describe, expect, it } from "vitest";
import { localDevSecret } from "../../src/auth/local-dev-secret.ts";
import { mintDevToken } from "../../src/auth/mint-dev-token.ts";
import { SessionError } from "../../src/auth/session-error.ts";
import { sessionVerifierFromEnv } from "../../src/auth/session-verifier-from-env.ts";
import { createSessionVerifier } from "../../src/auth/session-verifier.ts";
import { readEnv } from "../../src/config/env.ts";
import { useMsw } from "../support/msw.ts";
import { useTempDirs } from "../support/temp-dir.ts";

// Everything secret is made at run time; the clock is frozen so expiry is exact.
const NOW = new Date("2031-03-04T05:06:07Z");
const now = () => NOW;
const nowSec = Math.floor(NOW.getTime() / 1000);
const SECRET = randomBytes(32).toString("base64url");
const ISSUER = "https://project-ref.supabase.co/auth/v1";
const USER_ID = randomUUID();
const JWKS_URL = new URL("https://project-ref.supabase.co/auth/v1/.well-known/jwks.json");

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: "authenticated",
    role: "authenticated",
    sub: USER_ID,
    iat: nowSec - 10,
    exp: nowSec + 3600,
    session_id: randomUUID(),
    email: "octo@example.test",
    phone: "",
    aal: "aal1",
    is_anonymous: false,
    app_metadata: { provider: "github", providers: ["github"] },
    // A user can write anything here; the verifier must not pass it on.
    user_metadata: { user_name: "someone-else", provider_id: "1" },
    ...overrides,
  };
}

const sign = (payload: JWTPayload, secret = SECRET) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

const hsVerifier = (extra: { allowAnonymous?: boolean } = {}) =>
  createSessionVerifier({ jwtSecret: SECRET, issuer: ISSUER, now, ...extra });

/** Asserts the code, and that neither the token nor its payload leaks through the error. */
async function expectRefused(verify: Promise<unknown>, token: string, code: string) {
  const err = await verify.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SessionError);
  const sessionError = err as SessionError;
  expect(sessionError.code).toBe(code);
  const secretParts = [token, token.split(".")[1]].filter((part): part is string => Boolean(part));
  for (const text of [
    sessionError.message,
    String(sessionError.stack),
    JSON.stringify(sessionError),
  ]) {
    for (const part of secretParts) expect(text).not.toContain(part);
  }
  expect(sessionError.cause).toBeUndefined();
}

describe("createSessionVerifier with the shared secret (HS256)", () => {
  it("accepts a Supabase-shaped token and exposes only userId, sessionId, isAnonymous and actorSource", async () => {
    const sessionId = randomUUID();
    const session = await hsVerifier().verify(await sign(claims({ session_id: sessionId })));
    expect(session).toStrictEqual({
      userId: USER_ID,
      sessionId,
      isAnonymous: false,
      actorSource: "human",
    });
  });

  it("derives actorSource itself: claims naming an actor source, actor or verified flag are ignored", async () => {
    const forged = claims({
      actorSource: "api_key",
      actor_source: "api_key",
      actor: "system:automation",
      verified: false,
      app_metadata: { actor_source: "api_key" },
      user_metadata: { actorSource: "api_key", role: "service_role" },
    });
    const session = await hsVerifier().verify(await sign(forged));
    expect(session).toStrictEqual({
      userId: USER_ID,
      sessionId: expect.any(String),
      isAnonymous: false,
      actorSource: "human",
    });
  });

  it("refuses a token whose role claim is anything but authenticated, e.g. a made-up machine role", async () => {
    for (const role of ["machine", "service_role", "anon"]) {
      await expect(hsVerifier().verify(await sign(claims({ role })))).rejects.toMatchObject({
        code: "not_a_user",
      });
    }
  });

  it("accepts the token minted by the dev-token command", async () => {
    const token = await mintDevToken({
      secret: SECRET,
      issuer: ISSUER,
      userId: USER_ID,
      githubLogin: "octo-ada",
      githubId: "5001001",
      now,
    });
    await expect(hsVerifier().verify(token)).resolves.toMatchObject({
      userId: USER_ID,
      isAnonymous: false,
    });
  });

  const refusals: Array<[string, string, () => Promise<string>]> = [
    ["an empty token", "missing", async () => ""],
    ["text that is not a JWT", "malformed", async () => `not-a-jwt-${randomUUID()}`],
    ["an expired token", "expired", () => sign(claims({ exp: nowSec - 120, iat: nowSec - 3720 }))],
    ["a token not valid yet", "not_yet_valid", () => sign(claims({ nbf: nowSec + 600 }))],
    ["a token without exp", "malformed", () => sign(claims({ exp: undefined }))],
    [
      "a token signed with another secret",
      "invalid_signature",
      () => sign(claims(), randomBytes(32).toString("base64url")),
    ],
    ["a token for another audience", "wrong_audience", () => sign(claims({ aud: "anon" }))],
    [
      "a token from another issuer",
      "wrong_issuer",
      () => sign(claims({ iss: "https://other.supabase.co/auth/v1" })),
    ],
    ["the anon role", "not_a_user", () => sign(claims({ role: "anon" }))],
    [
      "the service_role role (a machine credential)",
      "not_a_user",
      () => sign(claims({ role: "service_role" })),
    ],
    ["a sub that is not a uuid", "malformed", () => sign(claims({ sub: "5001001" }))],
    ["an anonymous sign-in", "anonymous", () => sign(claims({ is_anonymous: true }))],
    [
      "alg none",
      "wrong_algorithm",
      async () => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.`,
    ],
  ];

  it.each(refusals)("refuses %s (%s)", async (_what, code, makeToken) => {
    const token = await makeToken();
    await expectRefused(hsVerifier().verify(token), token, code);
  });

  it("accepts an anonymous sign-in only when allowed", async () => {
    const session = await hsVerifier({ allowAnonymous: true }).verify(
      await sign(claims({ is_anonymous: true })),
    );
    expect(session.isAnonymous).toBe(true);
  });

  it("refuses to be built with a short secret or with two key sources", () => {
    expect(() => createSessionVerifier({ jwtSecret: "short" })).toThrow(/at least 32/);
    expect(() => createSessionVerifier({ jwtSecret: SECRET, jwksUrl: JWKS_URL })).toThrow(
      /exactly one/,
    );
    expect(() => createSessionVerifier({})).toThrow(/exactly one/);
  });
});

describe("createSessionVerifier with a remote JWKS", () => {
  let jwksRequests = 0;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  const keys: { rsa?: PrivateKey; ec?: PrivateKey; jwks?: object } = {};
  const server = useMsw();

  beforeAll(async () => {
    const rsa = await generateKeyPair("RS256");
    const ec = await generateKeyPair("ES256");
    keys.rsa = rsa.privateKey;
    keys.ec = ec.privateKey;
    keys.jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
        { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
      ],
    };
  });

  const serveJwks = () =>
    server.use(http.get(JWKS_URL.href, () => (jwksRequests++, HttpResponse.json(keys.jwks))));

  const signAsymmetric = (alg: "RS256" | "ES256", payload: JWTPayload) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg, kid: alg === "RS256" ? "rsa-1" : "ec-1", typ: "JWT" })
      .sign(alg === "RS256" ? keys.rsa! : keys.ec!);

  it("accepts RS256 and ES256 tokens and fetches the key set once", async () => {
    serveJwks();
    jwksRequests = 0;
    const verifier = createSessionVerifier({ jwksUrl: JWKS_URL, issuer: ISSUER, now });
    await expect(verifier.verify(await signAsymmetric("RS256", claims()))).resolves.toMatchObject({
      userId: USER_ID,
    });
    expect(jwksRequests).toBe(1);
    await expect(verifier.verify(await signAsymmetric("RS256", claims()))).resolves.toMatchObject({
      userId: USER_ID,
    });
    await expect(verifier.verify(await signAsymmetric("ES256", claims()))).resolves.toMatchObject({
      userId: USER_ID,
    });
    expect(jwksRequests).toBe(1);
    // An unknown kid (a forged token, or a key rotated in seconds ago) refetches only after the 30 s cooldown.
    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: "ES256", kid: "unknown" })
      .sign(stranger.privateKey);
    await expectRefused(verifier.verify(forged), forged, "invalid_signature");
    expect(jwksRequests).toBe(1);
  });

  it("refuses an HS256 token, even one keyed with the public key (alg confusion), without fetching keys", async () => {
    serveJwks();
    jwksRequests = 0;
    const verifier = createSessionVerifier({ jwksUrl: JWKS_URL, issuer: ISSUER, now });
    const publicKeyAsSecret = JSON.stringify((keys.jwks as { keys: object[] }).keys[0]);
    for (const token of [await sign(claims()), await sign(claims(), publicKeyAsSecret)]) {
      await expectRefused(verifier.verify(token), token, "wrong_algorithm");
    }
    expect(jwksRequests).toBe(0);
  });

  it("reports keys_unavailable, not an invalid token, when the key set cannot be fetched", async () => {
    server.use(http.get(JWKS_URL.href, () => new HttpResponse(null, { status: 503 })));
    const verifier = createSessionVerifier({ jwksUrl: JWKS_URL, now });
    const token = await signAsymmetric("ES256", claims());
    await expectRefused(verifier.verify(token), token, "keys_unavailable");
  });
});

describe("sessionVerifierFromEnv and the local development secret", () => {
  const tempDir = useTempDirs("auth");
  let dir: string;
  beforeAll(async () => (dir = await tempDir()));

  it("creates the secret once, 0600, and reuses it", async () => {
    const first = await localDevSecret(dir);
    expect(await localDevSecret(dir)).toBe(first);
    expect(Buffer.from(first, "base64url")).toHaveLength(32);
    expect((await stat(path.join(dir, "dev-jwt-secret"))).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(dir, "dev-jwt-secret"), "utf8")).trim()).toBe(first);
  });

  it("verifies dev tokens with the local secret outside production", async () => {
    const verifier = await sessionVerifierFromEnv(readEnv({ NODE_ENV: "development" }), {
      dataDir: dir,
    });
    const token = await mintDevToken({
      secret: await localDevSecret(dir),
      userId: USER_ID,
      githubLogin: "octo-ada",
      githubId: "5001001",
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: USER_ID });
  });

  it("uses SUPABASE_JWT_SECRET and checks the project issuer", async () => {
    const verifier = await sessionVerifierFromEnv(
      readEnv({
        SUPABASE_JWT_SECRET: SECRET,
        SUPABASE_URL: "https://project-ref.supabase.co",
        SUPABASE_SERVICE_ROLE_KEY: "x",
      }),
    );
    const exp = Math.floor(Date.now() / 1000) + 60;
    await expect(verifier.verify(await sign(claims({ exp })))).resolves.toMatchObject({
      userId: USER_ID,
    });
    const foreign = await sign(claims({ exp, iss: "https://other-ref.supabase.co/auth/v1" }));
    await expectRefused(verifier.verify(foreign), foreign, "wrong_issuer");
  });

  it("never falls back to the local secret in production, even if the env check were bypassed", async () => {
    // readEnv already refuses this configuration (test/unit/env-requirements.test.ts).
    const env = { ...readEnv({}), NODE_ENV: "production" as const };
    await expect(sessionVerifierFromEnv(env, { dataDir: dir })).rejects.toThrow(
      /SUPABASE_JWT_SECRET.*SUPABASE_URL/s,
    );
  });
});
