/**
 * Why a user access token was refused. Codes are stable: they go to the client
 * (`401 { reason }`) and to logs, so the client can tell "sign in again"
 * (expired) from "this is not a user token" (not_a_user).
 */
export type SessionErrorCode =
  | "missing"
  | "malformed"
  | "expired"
  | "not_yet_valid"
  | "invalid_signature"
  | "wrong_algorithm"
  | "wrong_audience"
  | "wrong_issuer"
  | "not_a_user"
  | "anonymous"
  /** The JWKS could not be fetched: our outage, not a bad token. */
  | "keys_unavailable"
  /** Unknown, revoked or expired API key (one answer for all three). */
  | "api_key_invalid"
  /** The API key could not be checked (database unreachable): our outage, never accepted. */
  | "key_store_unavailable"
  /** The API key is over its request rate; `retryAfterSeconds` says when to come back. */
  | "rate_limited";

const MESSAGES: Record<SessionErrorCode, string> = {
  missing: "no access token",
  malformed: "the access token is not a well-formed Supabase user token",
  expired: "the access token has expired",
  not_yet_valid: "the access token is not valid yet",
  invalid_signature: "the access token signature does not verify",
  wrong_algorithm: "the access token uses an algorithm this service does not accept",
  wrong_audience: "the access token is not for the authenticated audience",
  wrong_issuer: "the access token was issued by another project",
  not_a_user: "the access token does not belong to a signed-in user",
  anonymous: "anonymous sign-ins cannot call this",
  keys_unavailable: "the signing keys could not be fetched",
  api_key_invalid: "the API key is unknown, revoked or expired",
  key_store_unavailable: "the API key could not be checked right now",
  rate_limited: "too many requests with this API key",
};

/**
 * The message is fixed per code and no `cause` is attached: jose's errors carry
 * the decoded claims, and nothing from the token may reach a log or a client.
 */
export class SessionError extends Error {
  override name = "SessionError";
  constructor(
    readonly code: SessionErrorCode,
    /** For rate_limited: whole seconds until the key may call again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`[auth] ${MESSAGES[code]}`);
  }
}
