import { z } from "zod";

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

const envShape = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: port(3000).describe("HTTP port the service listens on"),
  HOST: z.string().default("127.0.0.1").describe("interface the HTTP server binds"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
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
  GITHUB_API_URL: z
    .url({ protocol: /^https?$/ })
    .default("https://api.github.com")
    .describe("GitHub API base URL (GHES: https://HOST/api/v3)"),
  INNGEST_DEV: boolFlag.describe("1 = talk to a local Inngest dev server, no signing"),
  INNGEST_SIGNING_KEY: optionalString.describe("Inngest signing key"),
  INNGEST_SIGNING_KEY_FALLBACK: optionalString.describe(
    "previous Inngest signing key, accepted during rotation",
  ),
  INNGEST_EVENT_KEY: optionalString.describe("Inngest event key"),
  INNGEST_BASE_URL: optionalString
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .describe("self-hosted Inngest server URL"),
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
  if (Boolean(env.GITHUB_APP_ID) !== Boolean(env.GITHUB_APP_PRIVATE_KEY)) {
    ctx.addIssue({
      code: "custom",
      path: [env.GITHUB_APP_ID ? "GITHUB_APP_PRIVATE_KEY" : "GITHUB_APP_ID"],
      message: "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are set together or not at all",
    });
  }
  if (env.NODE_ENV === "production" && !env.INNGEST_DEV && !env.INNGEST_SIGNING_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["INNGEST_SIGNING_KEY"],
      message:
        "required in production (or set INNGEST_DEV=1 for a dev server); without it /api/inngest would accept unsigned calls",
    });
  }
});

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
