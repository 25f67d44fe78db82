import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { LOCAL_DEV_ISSUER } from "./auth-key-source.ts";

export interface DevTokenInput {
  /** HS256 secret the service verifies with (SUPABASE_JWT_SECRET or the local dev secret). */
  secret: string;
  userId: string;
  githubLogin: string;
  /** Numeric GitHub user id, as Supabase stores it: a string. */
  githubId: string;
  issuer?: string | undefined;
  ttlSec?: number;
  now?: () => Date;
}

/**
 * An access token shaped like one Supabase Auth issues after a GitHub sign-in,
 * for local development and tests. The GitHub fields sit in `user_metadata`
 * only because Supabase puts them there; the service never reads them.
 */
export async function mintDevToken(input: DevTokenInput): Promise<string> {
  const iat = Math.floor((input.now?.() ?? new Date()).getTime() / 1000);
  return new SignJWT({
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "oauth", timestamp: iat }],
    session_id: randomUUID(),
    email: `${input.githubId}+${input.githubLogin}@users.noreply.github.com`,
    phone: "",
    is_anonymous: false,
    app_metadata: { provider: "github", providers: ["github"] },
    user_metadata: { user_name: input.githubLogin, provider_id: input.githubId },
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(input.issuer ?? LOCAL_DEV_ISSUER)
    .setAudience("authenticated")
    .setSubject(input.userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (input.ttlSec ?? 3600))
    .sign(new TextEncoder().encode(input.secret));
}
