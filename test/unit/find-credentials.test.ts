import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { RetryAfterError } from "inngest";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import { describe, expect, it } from "vitest";
import {
  CREDENTIAL_PATTERNS,
  containsCredential,
  findCredentials,
  redactCredentials,
  redactValue,
} from "../../src/security/find-credentials.ts";

// Every fake credential is made at run time from random bytes: nothing
// real-looking is committed, and each run uses different values.
const rand = (n: number) => randomBytes(n).toString("base64url").replace(/[-_]/g, "x").slice(0, n);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
function signedJwt(payload: object): string {
  const body = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(payload)}`;
  return `${body}.${createHmac("sha256", randomBytes(32)).update(body).digest("base64url")}`;
}
const pem = {
  rsa: () =>
    generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString(),
  ec: () =>
    generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "sec1", format: "pem" })
      .toString(),
  pkcs8: () =>
    generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  encrypted: () =>
    generateKeyPairSync("ed25519")
      .privateKey.export({
        type: "pkcs8",
        format: "pem",
        cipher: "aes-256-cbc",
        passphrase: "fake",
      })
      .toString(),
  // node:crypto cannot write the OpenSSH container, so frame random bytes the same way.
  openssh: () =>
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(96).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`,
};

/** [kind expected, the text as it would appear, the secret part that must vanish] */
function shapedCases(): [string, string, string][] {
  const cases: [string, string, string][] = [];
  for (const prefix of ["ghp", "gho", "ghu", "ghs", "ghr"]) {
    const token = `${prefix}_${rand(36)}`;
    cases.push(["github-token", token, token]);
  }
  const pat = `github_pat_${rand(22)}_${rand(59)}`;
  const appJwt = signedJwt({ iat: 1_700_000_000, exp: 1_700_000_600, iss: "123456" });
  const serviceRole = signedJwt({ iss: "supabase", ref: "abcdefghijklmnop", role: "service_role" });
  const sbSecret = `sb_secret_${rand(32)}`;
  const sbAccess = `sbp_${randomBytes(20).toString("hex")}`;
  const signingKey = `signkey-prod-${randomBytes(32).toString("hex")}`;
  const opaque = randomBytes(20).toString("hex");
  const basic = Buffer.from(`x-access-token:${opaque}`).toString("base64");
  const eventKey = rand(64);
  const apiKey = generateApiKey().key;
  cases.push(
    ["api-key", apiKey, apiKey],
    ["github-fine-grained-pat", pat, pat],
    ["jwt", appJwt, appJwt],
    ["jwt", `apikey: ${serviceRole}`, serviceRole],
    ["supabase-secret-key", sbSecret, sbSecret],
    ["supabase-access-token", sbAccess, sbAccess],
    ["inngest-signing-key", signingKey, signingKey],
    ["bearer-authorization", `Authorization: Bearer ${opaque}`, opaque],
    ["token-authorization", `authorization: token ${opaque}`, opaque],
    ["basic-authorization", `Authorization: Basic ${basic}`, basic],
    ["url-credentials", `git clone https://x-access-token:${opaque}@github.com/o/r.git`, opaque],
    ["url-credentials", `postgres://postgres:${opaque}@db.example.test:5432/postgres`, opaque],
    ["inngest-event-key-url", `POST http://localhost:8288/e/${eventKey} failed`, eventKey],
    ["credential-assignment", `body: client_id=Iv1.abc&client_secret=${opaque}&code=xyz`, opaque],
    ["credential-assignment", `{"password":"${opaque}"}`, opaque],
  );
  for (const [name, make] of Object.entries(pem)) {
    const key = make();
    cases.push(
      ["pem-private-key", key, key.split("\n")[1] ?? key],
      ["pem-private-key", `loaded ${name} key: ${key}`, key],
    );
  }
  return cases;
}

describe("credential-shaped strings", () => {
  it.each(shapedCases())("detects %s (case %#)", (kind, text, secret) => {
    const wrapped = `GitHub answered 401 for ${text} (retrying)`;
    expect(findCredentials(wrapped)).toEqual([{ path: "$", kind }]);
    const redacted = redactCredentials(wrapped);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain("[REDACTED]");
    expect(redacted.startsWith("GitHub answered 401 for ")).toBe(true);
  });

  it("has a case for every pattern, so the hint check below covers each", () => {
    const covered = new Set(shapedCases().map(([kind]) => kind));
    expect(CREDENTIAL_PATTERNS.map((p) => p.kind).filter((k) => !covered.has(k))).toEqual([]);
  });

  it("never lets a pattern's hints hide a match the pattern itself finds, whatever the case", () => {
    // The u flag would make /i fold non-ASCII letters ("ſ" as "s") that the hints do not.
    expect(CREDENTIAL_PATTERNS.filter((p) => p.pattern.unicode).map((p) => p.kind)).toEqual([]);
    const variants = (text: string) => [
      text,
      text.toUpperCase(),
      text.toLowerCase(),
      text.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c)),
    ];
    for (const [, text] of shapedCases()) {
      for (const variant of variants(text)) {
        for (const { kind, pattern, accept } of CREDENTIAL_PATTERNS) {
          const matches = [...variant.matchAll(new RegExp(pattern.source, pattern.flags))].filter(
            (m) => !accept || accept(m[0].slice(m.groups?.["keep"]?.length ?? 0)),
          );
          if (matches.length === 0) continue;
          expect({ kind, variant, redacted: redactCredentials(variant) !== variant }).toEqual({
            kind,
            variant,
            redacted: true,
          });
        }
      }
    }
  });

  it("keeps the context around a redaction so logs stay readable", () => {
    const token = `ghs_${rand(36)}`;
    expect(redactCredentials(`Authorization: Bearer ${signedJwt({ iss: "1" })}`)).toBe(
      "Authorization: Bearer [REDACTED]",
    );
    expect(redactCredentials(`url https://x-access-token:${token}@github.com/o`)).toBe(
      "url https://[REDACTED]@github.com/o",
    );
  });

  it("never puts the matched value in a finding", () => {
    const all = shapedCases();
    const findings = findCredentials({ items: all.map(([, text]) => text) });
    expect(findings).toHaveLength(all.length);
    const serialized = JSON.stringify(findings);
    for (const [, , secret] of all) expect(serialized).not.toContain(secret);
  });
});

describe("credential-named keys", () => {
  const names = [
    "token",
    "accessToken",
    "access_token",
    "refreshToken",
    "providerToken",
    "provider_token",
    "secret",
    "clientSecret",
    "password",
    "passwd",
    "privateKey",
    "private_key",
    "apiKey",
    "api_key",
    "authorization",
    "Authorization",
    "cookie",
    "set-cookie",
    "signingKey",
    "eventKey",
    "serviceRoleKey",
    "credentials",
    "INNGEST_EVENT_KEY",
    "GITHUB_WEBHOOK_SECRET",
  ];

  it.each(names)("flags a non-empty string under %s wherever it sits", (name) => {
    const value = { installationId: 42, nested: [{ [name]: "opaque-but-secret" }] };
    const path = /^[A-Za-z_$][\w$]*$/.test(name)
      ? `$.nested[0].${name}`
      : `$.nested[0][${JSON.stringify(name)}]`;
    expect(findCredentials(value)).toEqual([{ path, kind: "credential-named-key" }]);
    expect(redactValue(value).nested[0]?.[name]).toBe("[REDACTED]");
  });

  it("ignores empty and non-string values, and the redaction marker itself", () => {
    expect(
      findCredentials({
        token: "",
        password: 1234,
        secret: null,
        cookie: "[REDACTED]",
        apiKey: false,
      }),
    ).toEqual([]);
  });

  it("flags every string of a credential-named list (set-cookie arrives as string[])", () => {
    expect(
      findCredentials({ headers: { "set-cookie": ["a=1", "b=2"] } }).map((f) => f.path),
    ).toEqual(['$.headers["set-cookie"][0]', '$.headers["set-cookie"][1]']);
  });
});

describe("harmless identifiers of this product", () => {
  const harmless = {
    installationId: 51234567,
    userId: randomUUID(),
    githubId: 583231,
    githubLogin: "octocat",
    tokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    expiresAt: "2025-06-01T12:00:00.000Z",
    token_type: "bearer",
    tokenType: "installation",
    rateLimitRemaining: 4999,
    headSha: randomBytes(20).toString("hex"),
    nextPageToken: "Y3Vyc29yOnYyOpHOAAAB",
    repositorySelection: "all",
    message:
      "The bearer of this token should retry after the reset. Basic authentication was removed; token expired at noon. " +
      "See https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app for details.",
  };

  it("are not flagged, alone or together", () => {
    expect(findCredentials(harmless)).toEqual([]);
    for (const value of Object.values(harmless)) expect(containsCredential(value)).toBe(false);
  });

  it("pass through redaction untouched", () => {
    const text = JSON.stringify(harmless);
    expect(redactCredentials(text)).toBe(text);
    expect(redactValue(harmless)).toBe(harmless);
  });
});

describe("walking values", () => {
  const token = () => `ghs_${rand(36)}`;

  it("looks inside arrays, objects, Maps, Sets, Dates and Error message/stack/cause", () => {
    const err = new Error(`request failed: ${token()}`, {
      cause: { body: { refresh_token: "abc" } },
    });
    const value = {
      list: [[token()]],
      map: new Map<unknown, unknown>([
        ["authorization", "x"],
        [7, token()],
      ]),
      set: new Set([token()]),
      at: new Date(),
      err,
    };
    expect(findCredentials(value)).toEqual([
      { path: "$.list[0][0]", kind: "github-token" },
      { path: '$.map.get("authorization")', kind: "credential-named-key" },
      { path: "$.map.get(#1)", kind: "github-token" },
      { path: "$.set[0]", kind: "github-token" },
      { path: "$.err.message", kind: "github-token" },
      { path: "$.err.stack", kind: "github-token" },
      { path: "$.err.cause.body.refresh_token", kind: "credential-named-key" },
    ]);
  });

  it("inspects what JSON serialization would store (toJSON), e.g. a URL with userinfo", () => {
    const url = new URL(`https://x-access-token:${token()}@github.com/o/r.git`);
    expect(Object.keys(url)).toEqual([]);
    expect(findCredentials({ remote: url })).toEqual([
      { path: "$.remote", kind: "url-credentials" },
    ]);
    expect(redactValue({ remote: url }).remote).toBe("https://[REDACTED]@github.com/o/r.git");
  });

  it("reports a credential-shaped key without putting the key in the path", () => {
    const secret = token();
    const findings = findCredentials({ byToken: { [secret]: 1 } });
    expect(findings).toEqual([{ path: '$.byToken["[REDACTED]"]', kind: "github-token" }]);
  });

  it("terminates on cycles", () => {
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    loop.children = [loop, { password: "p" }];
    expect(findCredentials(loop)).toEqual([
      { path: "$.children[1].password", kind: "credential-named-key" },
    ]);
  });

  it("fails closed on nesting too deep to inspect", () => {
    let deep: Record<string, unknown> = { token: "hidden" };
    for (let i = 0; i < 500; i++) deep = { next: deep };
    const [finding, ...rest] = findCredentials(deep);
    expect(rest).toEqual([]);
    expect(finding?.kind).toBe("uninspected-too-deep-or-large");
    expect(containsCredential(deep)).toBe(true);
  });
});

describe("redactValue", () => {
  it("copies on write: the input is untouched and clean branches are shared", () => {
    const clean = { installationId: 1 };
    const input = { clean, auth: { token: `ghu_${rand(36)}` } };
    const before = JSON.stringify(input);
    const output = redactValue(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(output).toEqual({ clean, auth: { token: "[REDACTED]" } });
    expect(output.clean).toBe(clean);
  });

  it("keeps an Error's class and fields while redacting message, stack and cause", () => {
    const secret = `ghs_${rand(36)}`;
    const err = new RetryAfterError(`rate limited for ${secret}`, "30s", {
      cause: new Error(`inner ${secret}`),
    });
    const out = redactValue(err);
    expect(out).toBeInstanceOf(RetryAfterError);
    expect(out.retryAfter).toBe("30");
    expect(out.message).toBe("rate limited for [REDACTED]");
    expect(out.stack).not.toContain(secret);
    expect((out.cause as Error).message).toBe("inner [REDACTED]");
    expect(err.message).toContain(secret);
  });
});
