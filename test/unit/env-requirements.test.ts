import { describe, expect, it } from "vitest";
import { ConfigError, inngestServeOrigin, isLoopbackHost, readEnv } from "../../src/config/env.ts";

const SIGNING_KEY = `signkey-prod-${"ab".repeat(32)}`;
const PRODUCTION = {
  NODE_ENV: "production",
  INNGEST_SIGNING_KEY: SIGNING_KEY,
  INNGEST_EVENT_KEY: "event-key-0123456789",
  INNGEST_SERVE_ORIGIN: "https://jobs.example.test",
  SUPABASE_URL: "https://project.supabase.example.test",
  SUPABASE_SERVICE_ROLE_KEY: "service-role-key-0123456789",
  GITHUB_APP_ID: "123456",
  GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----",
  GITHUB_WEBHOOK_SECRET: "webhook-secret-0123456789",
  HOST: "0.0.0.0",
};

function refusal(env: Record<string, string>): string {
  try {
    readEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("what production needs, checked before anything starts", () => {
  it("accepts a complete production configuration", () => {
    expect(readEnv(PRODUCTION)).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0" });
  });

  it.each([{}, { INNGEST_DEV: "1" }])(
    "names every missing production setting at once (%o)",
    (extra) => {
      const message = refusal({ NODE_ENV: "production", ...extra });
      const named = [
        "INNGEST_SIGNING_KEY",
        "INNGEST_EVENT_KEY",
        "INNGEST_SERVE_ORIGIN",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "SUPABASE_JWT_SECRET",
        "DATABASE_URL",
        ...Object.keys(extra),
      ];
      // Each once, one line per variable.
      const lines = message.split("\n").slice(1);
      expect(lines.map((line) => line.trim().split(" ")[0]!.replace(/:$/, "")).sort()).toEqual(
        named.sort(),
      );
    },
  );

  it.each([
    ["INNGEST_SIGNING_KEY", /INNGEST_SIGNING_KEY.*required in production/],
    ["INNGEST_EVENT_KEY", /INNGEST_EVENT_KEY.*required in production/],
    ["INNGEST_SERVE_ORIGIN", /INNGEST_SERVE_ORIGIN.*Host header/],
    ["GITHUB_APP_ID", /GITHUB_APP_ID.*required in production.*every audit is skipped/],
    ["GITHUB_APP_PRIVATE_KEY", /GITHUB_APP_PRIVATE_KEY.*required in production/],
    ["GITHUB_WEBHOOK_SECRET", /GITHUB_WEBHOOK_SECRET.*required in production.*503/],
  ])("refuses production without %s", (name, pattern) => {
    const env: Record<string, string> = { ...PRODUCTION };
    delete env[name];
    expect(refusal(env)).toMatch(pattern);
  });

  it("needs a way to verify user tokens: a JWT secret or the project's JWKS", () => {
    const env: Record<string, string> = {
      ...PRODUCTION,
      DATABASE_URL: "postgres://db.example.test/app",
    };
    delete env.SUPABASE_URL;
    delete env.SUPABASE_SERVICE_ROLE_KEY;
    expect(refusal(env)).toMatch(/SUPABASE_JWT_SECRET.*SUPABASE_URL/);
    expect(readEnv({ ...env, SUPABASE_JWT_SECRET: "x".repeat(40) })).toBeDefined();
  });

  it("refuses dev mode in production, even with every other setting present", () => {
    const message = refusal({ ...PRODUCTION, INNGEST_DEV: "1" });
    expect(message).toMatch(/INNGEST_DEV.*must not be 1 in production/);
    expect(readEnv({ ...PRODUCTION, INNGEST_DEV: "0" })).toMatchObject({ INNGEST_DEV: false });
  });

  it("never echoes a value it refuses", () => {
    const message = refusal({ ...PRODUCTION, INNGEST_SERVE_ORIGIN: "not a url" });
    expect(message).toContain("INNGEST_SERVE_ORIGIN");
    expect(message).not.toContain("not a url");
    expect(message).not.toContain(SIGNING_KEY);
  });
});

describe("unsigned Inngest mode only on loopback", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "localhost", "[::1]"])("allows %s", (HOST) => {
    expect(readEnv({ HOST })).toMatchObject({ HOST });
    expect(isLoopbackHost(HOST)).toBe(true);
  });

  it.each(["0.0.0.0", "::", "10.0.0.5", "jobs.internal"])(
    "refuses to serve unsigned on %s, saying what to set",
    (HOST) => {
      expect(isLoopbackHost(HOST)).toBe(false);
      expect(refusal({ HOST })).toMatch(/INNGEST_SIGNING_KEY.*not a loopback address/);
    },
  );

  it("refuses INNGEST_DEV=1 beyond loopback even with a signing key (dev mode does not verify)", () => {
    expect(
      refusal({ HOST: "0.0.0.0", INNGEST_DEV: "1", INNGEST_SIGNING_KEY: SIGNING_KEY }),
    ).toMatch(/INNGEST_DEV/);
  });

  it("beyond loopback with a signing key, needs the serve origin from configuration", () => {
    expect(refusal({ HOST: "0.0.0.0", INNGEST_SIGNING_KEY: SIGNING_KEY })).toMatch(
      /INNGEST_SERVE_ORIGIN/,
    );
    const env = readEnv({
      HOST: "0.0.0.0",
      INNGEST_SIGNING_KEY: SIGNING_KEY,
      INNGEST_SERVE_ORIGIN: "https://jobs.example.test",
    });
    expect(inngestServeOrigin(env)).toBe("https://jobs.example.test");
  });

  it("on loopback, derives the serve origin from HOST and PORT, never from a request", () => {
    const env = readEnv({ INNGEST_SIGNING_KEY: SIGNING_KEY, PORT: "4010" });
    expect(inngestServeOrigin(env)).toBe("http://127.0.0.1:4010");
    expect(inngestServeOrigin(readEnv({ HOST: "::1", PORT: "4010" }))).toBe("http://[::1]:4010");
  });

  it("bounds /api/inngest bodies at 33 MiB unless configured (an empty value is unset)", () => {
    expect(readEnv({}).INNGEST_MAX_REQUEST_BYTES).toBe(33 * 1024 * 1024);
    expect(readEnv({ INNGEST_MAX_REQUEST_BYTES: "" }).INNGEST_MAX_REQUEST_BYTES).toBe(
      33 * 1024 * 1024,
    );
    expect(readEnv({ INNGEST_MAX_REQUEST_BYTES: "1048576" }).INNGEST_MAX_REQUEST_BYTES).toBe(
      1048576,
    );
    expect(refusal({ INNGEST_MAX_REQUEST_BYTES: "12" })).toContain("INNGEST_MAX_REQUEST_BYTES");
  });

  it("bounds webhook bodies at GitHub's 25 MB cap unless configured", () => {
    expect(readEnv({}).GITHUB_WEBHOOK_MAX_BODY_BYTES).toBe(25 * 1024 * 1024);
    expect(readEnv({ GITHUB_WEBHOOK_MAX_BODY_BYTES: "" }).GITHUB_WEBHOOK_MAX_BODY_BYTES).toBe(
      25 * 1024 * 1024,
    );
    expect(readEnv({ GITHUB_WEBHOOK_MAX_BODY_BYTES: "4096" }).GITHUB_WEBHOOK_MAX_BODY_BYTES).toBe(
      4096,
    );
    expect(refusal({ GITHUB_WEBHOOK_MAX_BODY_BYTES: "12" })).toContain(
      "GITHUB_WEBHOOK_MAX_BODY_BYTES",
    );
  });

  it("budgets the webhook's durable write at 8 s unless configured, refusing one that would miss GitHub's 10 s", () => {
    expect(readEnv({}).GITHUB_WEBHOOK_WRITE_TIMEOUT_MS).toBe(8000);
    expect(readEnv({ GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: "" }).GITHUB_WEBHOOK_WRITE_TIMEOUT_MS).toBe(
      8000,
    );
    expect(
      readEnv({ GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: "200" }).GITHUB_WEBHOOK_WRITE_TIMEOUT_MS,
    ).toBe(200);
    for (const bad of ["10000", "0", "1.5", "soon"]) {
      expect(refusal({ GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: bad })).toContain(
        "GITHUB_WEBHOOK_WRITE_TIMEOUT_MS (milliseconds POST /api/webhooks/github waits",
      );
    }
  });

  it("reads the API-key cache TTL and per-key rate limit, with defaults, refusing nonsense by name", () => {
    expect(readEnv({})).toMatchObject({
      API_KEY_CACHE_TTL_SECONDS: 10,
      API_KEY_RATE_LIMIT_PER_MINUTE: 60,
      API_KEY_RATE_LIMIT_BURST: 20,
    });
    expect(
      readEnv({
        API_KEY_CACHE_TTL_SECONDS: "0",
        API_KEY_RATE_LIMIT_PER_MINUTE: "600",
        API_KEY_RATE_LIMIT_BURST: "",
      }),
    ).toMatchObject({
      API_KEY_CACHE_TTL_SECONDS: 0,
      API_KEY_RATE_LIMIT_PER_MINUTE: 600,
      API_KEY_RATE_LIMIT_BURST: 20,
    });
    expect(refusal({ API_KEY_CACHE_TTL_SECONDS: "-1" })).toContain("API_KEY_CACHE_TTL_SECONDS");
    expect(refusal({ API_KEY_RATE_LIMIT_PER_MINUTE: "0" })).toContain(
      "API_KEY_RATE_LIMIT_PER_MINUTE",
    );
    expect(refusal({ API_KEY_RATE_LIMIT_BURST: "1.5" })).toContain("API_KEY_RATE_LIMIT_BURST");
  });

  it("reads GITHUB_WEBHOOK_SECRET as a rotation list, trimmed, empty entries dropped", () => {
    expect(readEnv({ GITHUB_WEBHOOK_SECRET: " new , old,," }).GITHUB_WEBHOOK_SECRET).toEqual([
      "new",
      "old",
    ]);
    expect(readEnv({}).GITHUB_WEBHOOK_SECRET).toBeUndefined();
  });

  it("keeps unauthenticated sync off unless configured", () => {
    expect(readEnv({}).INNGEST_ENABLE_UNAUTHED_SYNC).toBe(false);
    expect(readEnv({ INNGEST_ENABLE_UNAUTHED_SYNC: "1" }).INNGEST_ENABLE_UNAUTHED_SYNC).toBe(true);
  });
});
