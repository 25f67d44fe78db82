import { z } from "zod";
import { corsOrigins } from "./cors-origins.ts";

/**
 * The whole configuration surface. Each entry says what it is for, because the
 * message a missing or malformed value produces quotes it.
 */
const optionalString = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string())
  .optional()
  .transform((v) => (v === "" ? undefined : v));

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const boolFlag = z
  .enum(["1", "0", "true", "false", ""])
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v === "1" || v === "true"));

/** Inngest caps a run's state (event + step outputs) at 32 MB; 1 MiB more covers the envelope. */
export const INNGEST_MAX_REQUEST_BYTES_DEFAULT = 33 * 1024 * 1024;

/** GitHub does not deliver payloads over 25 MB; a body past that is not from GitHub. */
export const GITHUB_WEBHOOK_MAX_BODY_BYTES_DEFAULT = 25 * 1024 * 1024;

const count = (fallback: number, min: number, max: number) =>
  optionalString
    .pipe(z.coerce.number<string | undefined>().int().min(min).max(max).optional())
    .transform((v) => v ?? fallback);

const envShape = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: port(3000).describe("HTTP port the service listens on"),
  HOST: z.string().default("127.0.0.1").describe("interface the HTTP server binds"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CORS_ORIGINS: corsOrigins.describe(
    "browser origins allowed to call /api/actions/* (comma-separated exact origins, e.g. https://app.example.com); none by default",
  ),
  DATABASE_URL: optionalString
    .pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional())
    .describe("Postgres connection string (direct SQL transport)"),
  EMBEDDED_PG_PORT: port(54329).describe(
    "port of the embedded Postgres used when no database is configured",
  ),
  EMBEDDED_PG_DIR: z.string().default(".data").describe("data folder of the embedded Postgres"),
  SUPABASE_URL: optionalString
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .describe("Supabase project URL"),
  SUPABASE_SERVICE_ROLE_KEY: optionalString.describe("Supabase service-role key (server only)"),
  SUPABASE_JWT_SECRET: optionalString.describe(
    "Supabase JWT secret (HS256) for verifying user tokens",
  ),
  GITHUB_APP_ID: optionalString
    .pipe(z.string().regex(/^\d+$/, "must be the numeric App ID").optional())
    .describe("GitHub App ID"),
  GITHUB_APP_PRIVATE_KEY: optionalString
    .transform((v) => v?.replace(/\\n/g, "\n"))
    .pipe(z.string().includes("PRIVATE KEY", { message: "must be a PEM private key" }).optional())
    .describe("GitHub App private key (PEM; \\n escapes allowed)"),
  GITHUB_WEBHOOK_SECRET: optionalString
    .transform((v) =>
      v
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .describe("GitHub webhook secret(s), comma-separated for rotation"),
  GITHUB_WEBHOOK_MAX_BODY_BYTES: optionalString
    .pipe(z.coerce.number<string | undefined>().int().min(1024).optional())
    .transform((v) => v ?? GITHUB_WEBHOOK_MAX_BODY_BYTES_DEFAULT)
    .describe("largest body POST /api/webhooks/github reads (default 25 MiB: GitHub's cap)"),
  GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: count(8000, 50, 9000).describe(
    "milliseconds POST /api/webhooks/github waits for its durable write before answering 503 (GitHub fails a delivery not answered within 10 s)",
  ),
  GITHUB_API_URL: z
    .url({ protocol: /^https?$/ })
    .default("https://api.github.com")
    .describe("GitHub API base URL (GHES: https://HOST/api/v3)"),
  API_KEY_CACHE_TTL_SECONDS: count(10, 0, 3600).describe(
    "how long an instance may serve a validated API key from memory (0 = no cache); on the supabase-js transport also the bound on how long a revoked key keeps working on other instances",
  ),
  API_KEY_RATE_LIMIT_PER_MINUTE: count(60, 1, 1_000_000).describe(
    "requests per minute one API key may make, per instance",
  ),
  API_KEY_RATE_LIMIT_BURST: count(20, 1, 1_000_000).describe(
    "requests one API key may make at once after being idle, per instance",
  ),
  INNGEST_DEV: boolFlag.describe("1 = talk to a local Inngest dev server, no signing"),
  INNGEST_SIGNING_KEY: optionalString.describe("Inngest signing key"),
  INNGEST_SIGNING_KEY_FALLBACK: optionalString.describe(
    "previous Inngest signing key, accepted during rotation",
  ),
  INNGEST_EVENT_KEY: optionalString.describe("Inngest event key"),
  INNGEST_BASE_URL: optionalString
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .describe("self-hosted Inngest server URL"),
  INNGEST_SERVE_ORIGIN: optionalString
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .describe("public origin Inngest calls and syncs, e.g. https://jobs.example.com"),
  INNGEST_ENABLE_UNAUTHED_SYNC: boolFlag
    .transform((v) => v ?? false)
    .describe("1 = accept unsigned PUT /api/inngest (re-sync); off by default"),
  INNGEST_MAX_REQUEST_BYTES: optionalString
    .pipe(
      z.coerce
        .number<string | undefined>()
        .int()
        .min(64 * 1024)
        .optional(),
    )
    .transform((v) => v ?? INNGEST_MAX_REQUEST_BYTES_DEFAULT)
    .describe("largest body /api/inngest reads (default 33 MiB: Inngest's 32 MB run state)"),
};

export const envSchema = z.object(envShape).superRefine((env, ctx) => {
  if (env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["SUPABASE_SERVICE_ROLE_KEY"],
      message: "required when SUPABASE_URL is set (the service calls RPCs as service_role)",
    });
  }
  if (env.SUPABASE_SERVICE_ROLE_KEY && !env.SUPABASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["SUPABASE_URL"],
      message: "required when SUPABASE_SERVICE_ROLE_KEY is set",
    });
  }
  // In production each is required by name (productionIssues); elsewhere both or neither.
  if (
    env.NODE_ENV !== "production" &&
    Boolean(env.GITHUB_APP_ID) !== Boolean(env.GITHUB_APP_PRIVATE_KEY)
  ) {
    ctx.addIssue({
      code: "custom",
      path: [env.GITHUB_APP_ID ? "GITHUB_APP_PRIVATE_KEY" : "GITHUB_APP_ID"],
      message: "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are set together or not at all",
    });
  }
  const require: Require = (path, message) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  servingIssues(env, require);
  productionIssues(env, require);
});

/** Records that `path` is missing or wrong, and why. */
type Require = (path: string, message: string) => void;

function servingIssues(env: z.output<z.ZodObject<typeof envShape>>, require: Require): void {
  const dev = inngestDevMode(env);
  if (dev && !isLoopbackHost(env.HOST)) {
    require(env.INNGEST_DEV ? "INNGEST_DEV" : "INNGEST_SIGNING_KEY", env.INNGEST_DEV
      ? "dev mode (unsigned /api/inngest) is only allowed when HOST is a loopback address; unset it and set INNGEST_SIGNING_KEY"
      : "required when HOST is not a loopback address: without it /api/inngest is unsigned and anyone who reaches the port can post made-up step results");
  }
  if (
    !dev &&
    !env.INNGEST_SERVE_ORIGIN &&
    (env.NODE_ENV === "production" || !isLoopbackHost(env.HOST))
  ) {
    require("INNGEST_SERVE_ORIGIN", "required with a signing key in production or beyond loopback: the URL Inngest syncs comes from it, never from a request's Host header");
  }
}

/** Everything production needs, each missing variable named; dev mode is refused outright. */
function productionIssues(env: z.output<z.ZodObject<typeof envShape>>, require: Require): void {
  if (env.NODE_ENV !== "production") return;
  if (env.INNGEST_DEV) {
    require("INNGEST_DEV", "must not be 1 in production: dev mode serves /api/inngest unsigned and talks to a local dev server");
  }
  if (!env.INNGEST_SIGNING_KEY) {
    require("INNGEST_SIGNING_KEY", "required in production: without it /api/inngest would accept unsigned calls");
  }
  if (env.INNGEST_DEV && !env.INNGEST_SERVE_ORIGIN) {
    // Outside dev mode servingIssues already asks for it.
    require("INNGEST_SERVE_ORIGIN", "required in production: the URL Inngest syncs comes from it, never from a request's Host header");
  }
  if (!env.INNGEST_EVENT_KEY) {
    require("INNGEST_EVENT_KEY", "required in production: without it no event can be sent");
  }
  if (!env.GITHUB_APP_ID) {
    require("GITHUB_APP_ID", "required in production, with GITHUB_APP_PRIVATE_KEY: without the App every audit is skipped");
  }
  if (!env.GITHUB_APP_PRIVATE_KEY) {
    require("GITHUB_APP_PRIVATE_KEY", "required in production, with GITHUB_APP_ID: without the App every audit is skipped");
  }
  if (!env.GITHUB_WEBHOOK_SECRET?.length) {
    require("GITHUB_WEBHOOK_SECRET", "required in production: without it every GitHub webhook answers 503");
  }
  if (!env.SUPABASE_JWT_SECRET && !env.SUPABASE_URL) {
    require("SUPABASE_JWT_SECRET", "required in production, or SUPABASE_URL (tokens are then verified with the project's JWKS): the local development secret is never used in production");
  }
  if (!env.DATABASE_URL && !env.SUPABASE_URL) {
    require("DATABASE_URL", "required in production, or SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY: the embedded Postgres is for local runs");
  }
}

export type Env = z.output<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Pure: reads the environment it is given, so tests pass their own. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const shape: Record<string, z.ZodType> = envShape;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    const purpose = shape[name]?.description;
    return `  ${name}${purpose ? ` (${purpose})` : ""}: ${issue.message}`;
  });
  // Messages name variables and rules, never the values: a malformed secret must not be echoed.
  throw new ConfigError(`[config] invalid environment:\n${lines.join("\n")}`);
}

/** Which database the service talks to, decided once from the environment. */
export type DatabaseTarget =
  | { kind: "supabase"; url: string; serviceRoleKey: string }
  | { kind: "postgres"; url: string }
  | { kind: "embedded"; dir: string; port: number };

export function databaseTarget(env: Env): DatabaseTarget {
  if (env.DATABASE_URL) return { kind: "postgres", url: env.DATABASE_URL };
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) {
    return {
      kind: "supabase",
      url: env.SUPABASE_URL,
      serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
    };
  }
  return { kind: "embedded", dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT };
}

/**
 * Dev mode (unsigned /api/inngest, a local dev server) only when asked for, or when no
 * signing key exists outside production; readEnv allows it on loopback only.
 */
export function inngestDevMode(
  env: Pick<Env, "INNGEST_DEV" | "INNGEST_SIGNING_KEY" | "NODE_ENV">,
): boolean {
  return env.INNGEST_DEV ?? (!env.INNGEST_SIGNING_KEY && env.NODE_ENV !== "production");
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** The origin Inngest is told to call: configured, or this loopback listener; never a Host header. */
export function inngestServeOrigin(
  env: Pick<Env, "INNGEST_SERVE_ORIGIN" | "HOST" | "PORT">,
): string {
  if (env.INNGEST_SERVE_ORIGIN) return env.INNGEST_SERVE_ORIGIN.replace(/\/+$/, "");
  const host = env.HOST.includes(":") && !env.HOST.startsWith("[") ? `[${env.HOST}]` : env.HOST;
  return `http://${host}:${env.PORT}`;
}
