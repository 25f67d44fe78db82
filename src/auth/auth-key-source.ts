import { ConfigError, type Env } from "../config/env.ts";
import { localDevSecret } from "./local-dev-secret.ts";

/** `supabase start` serves Auth here; local dev tokens claim it so they look like the CLI's. */
export const LOCAL_DEV_ISSUER = "http://127.0.0.1:54321/auth/v1";

/** How user access tokens are signed in this deployment, decided once from the environment. */
export type AuthKeySource =
  | {
      kind: "secret";
      from: "SUPABASE_JWT_SECRET" | "local-dev-secret";
      secret: string;
      issuer?: string;
    }
  | { kind: "jwks"; jwksUrl: URL; issuer: string };

export function supabaseAuthIssuer(supabaseUrl: string): string {
  return `${supabaseUrl.replace(/\/+$/, "")}/auth/v1`;
}

/**
 * SUPABASE_JWT_SECRET (HS256) wins, because a project that still issues
 * legacy-signed tokens needs it; else the project's JWKS; else, outside
 * production only, a local secret in `dataDir` (default EMBEDDED_PG_DIR).
 */
export async function authKeySource(
  env: Env,
  options: { dataDir?: string } = {},
): Promise<AuthKeySource> {
  const issuer = env.SUPABASE_URL ? supabaseAuthIssuer(env.SUPABASE_URL) : undefined;
  if (env.SUPABASE_JWT_SECRET)
    return {
      kind: "secret",
      from: "SUPABASE_JWT_SECRET",
      secret: env.SUPABASE_JWT_SECRET,
      ...(issuer ? { issuer } : {}),
    };
  if (issuer) return { kind: "jwks", jwksUrl: new URL(`${issuer}/.well-known/jwks.json`), issuer };
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "[auth] set SUPABASE_JWT_SECRET (the project's legacy JWT secret, HS256) or SUPABASE_URL (tokens are then verified with <SUPABASE_URL>/auth/v1/.well-known/jwks.json); " +
        "the local development secret is never used in production",
    );
  }
  return {
    kind: "secret",
    from: "local-dev-secret",
    secret: await localDevSecret(options.dataDir ?? env.EMBEDDED_PG_DIR),
    issuer: LOCAL_DEV_ISSUER,
  };
}
