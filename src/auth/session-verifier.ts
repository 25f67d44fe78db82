import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import { SessionError, type SessionErrorCode } from "./session-error.ts";
import type { Session, SessionVerifier } from "./session.ts";

export interface SessionVerifierOptions {
  /** Supabase "legacy JWT secret": verifies HS256 tokens, nothing else. */
  jwtSecret?: string;
  /** `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`: verifies RS256 / ES256 tokens, nothing else. */
  jwksUrl?: URL;
  /** `<SUPABASE_URL>/auth/v1`; when set, tokens from any other issuer are refused. */
  issuer?: string | undefined;
  /** Allowed clock skew for exp / nbf; default 30 s. */
  clockToleranceSec?: number;
  /** Supabase anonymous sign-ins (`is_anonymous: true`) are refused unless this is set. */
  allowAnonymous?: boolean;
  now?: () => Date;
}

const AUDIENCE = "authenticated";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Supabase tokens are ~1 KB; refusing huge input early bounds the work an unauthenticated caller can cause.
const MAX_TOKEN_CHARS = 8192;
const MIN_SECRET_CHARS = 32;

type VerifyJwt = (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

/**
 * Verifies Supabase Auth access tokens locally. The accepted algorithms are
 * pinned to the key source (HS256 for a secret, RS256/ES256 for a JWKS), so a
 * token cannot pick `alg: none` or get an RSA public key used as an HMAC secret.
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  const { jwtSecret, jwksUrl } = options;
  if (Boolean(jwtSecret) === Boolean(jwksUrl)) {
    throw new Error(
      "[auth] createSessionVerifier needs exactly one of jwtSecret (HS256) or jwksUrl (RS256/ES256)",
    );
  }
  if (jwtSecret && jwtSecret.length < MIN_SECRET_CHARS) {
    throw new Error(
      `[auth] jwtSecret must be at least ${MIN_SECRET_CHARS} characters (Supabase's JWT secrets are)`,
    );
  }
  const verifyJwt = jwtSecret ? secretVerifier(jwtSecret) : jwksVerifier(jwksUrl!);

  return {
    async verify(token) {
      if (!token) throw new SessionError("missing");
      if (token.length > MAX_TOKEN_CHARS) throw new SessionError("malformed");
      let payload: JWTPayload;
      try {
        ({ payload } = await verifyJwt(token, {
          audience: AUDIENCE,
          clockTolerance: options.clockToleranceSec ?? 30,
          requiredClaims: ["exp"],
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.now ? { currentDate: options.now() } : {}),
        }));
      } catch (err) {
        throw new SessionError(codeFor(err));
      }
      return toSession(payload, options.allowAnonymous ?? false);
    },
  };
}

function secretVerifier(secret: string): VerifyJwt {
  const key = new TextEncoder().encode(secret);
  return (token, opts) => jwtVerify(token, key, { ...opts, algorithms: ["HS256"] });
}

function jwksVerifier(url: URL): VerifyJwt {
  const keys = remoteKeys(url);
  return (token, opts) => jwtVerify(token, keys, { ...opts, algorithms: ["RS256", "ES256"] });
}

/**
 * jose caches the key set; an unknown `kid` refetches at most once per 30 s, so made-up
 * kids cannot flood the JWKS endpoint (https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md).
 */
function remoteKeys(url: URL): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(url, {
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    timeoutDuration: 5_000,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      // No key for this kid is the token's fault; a failed fetch (network, status, bad JSON) is ours.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
        throw err;
      throw new SessionError("keys_unavailable");
    }
  };
}

function codeFor(err: unknown): SessionErrorCode {
  if (err instanceof SessionError) return err.code;
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JOSEAlgNotAllowed) return "wrong_algorithm";
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return "invalid_signature";
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === "check_failed") {
    if (err.claim === "nbf") return "not_yet_valid";
    if (err.claim === "aud") return "wrong_audience";
    if (err.claim === "iss") return "wrong_issuer";
  }
  if (
    err instanceof errors.JWTClaimValidationFailed &&
    err.reason === "missing" &&
    err.claim === "aud"
  )
    return "wrong_audience";
  return "malformed";
}

/**
 * Only after the signature verified: the claims are now Supabase's word. Claims such as
 * `actor_source`, `actor` or `verified` are not read: a user access token is a person's.
 */
function toSession(claims: JWTPayload, allowAnonymous: boolean): Session {
  // anon and service_role tokens verify with the same key but are not a person.
  if (claims.role !== "authenticated") throw new SessionError("not_a_user");
  if (typeof claims.sub !== "string" || !UUID.test(claims.sub)) throw new SessionError("malformed");
  const { is_anonymous: isAnonymous, session_id: sessionId } = claims;
  if (isAnonymous !== undefined && typeof isAnonymous !== "boolean")
    throw new SessionError("malformed");
  if (sessionId !== undefined && typeof sessionId !== "string") throw new SessionError("malformed");
  if (isAnonymous && !allowAnonymous) throw new SessionError("anonymous");
  return {
    userId: claims.sub.toLowerCase(),
    ...(sessionId ? { sessionId } : {}),
    isAnonymous: isAnonymous === true,
    actorSource: "human",
  };
}
