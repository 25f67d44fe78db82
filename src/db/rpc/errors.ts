/**
 * Typed domain errors for RPC failures: the one place that says what each failure
 * means to a client. Callers branch on the class, never on a driver's error.
 * Messages name the RPC and SQLSTATE, never argument values.
 */

/** Statuses an RPC failure can answer with; 500 = the server or schema is wrong. */
export type RpcErrorStatus = 400 | 404 | 409 | 500 | 503;

export class RpcError extends Error {
  override name = "RpcError";
  /** The HTTP status a server action answers with. */
  readonly status: RpcErrorStatus = 500;
  /** The `error` code a client branches on; only non-500 errors reach a client. */
  readonly clientCode: string = "internal_error";
  /** Written for the user, sent with clientCode; never quotes input. */
  readonly clientMessage: string | undefined = undefined;
  readonly retryable: boolean = false;
  constructor(
    readonly rpc: string,
    readonly code: string,
    message: string,
  ) {
    super(`[db] ${rpc}: ${message}`);
  }
}

export class ClaimLimitReachedError extends RpcError {
  override name = "ClaimLimitReachedError";
  override readonly status = 409;
  override readonly clientCode = "claim_limit_reached";
  override readonly clientMessage =
    "you already hold 3 active claims; release or complete one first";
}
/** Also for someone else's recommendation: no existence oracle. */
export class RecommendationNotFoundError extends RpcError {
  override name = "RecommendationNotFoundError";
  override readonly status = 404;
  override readonly clientCode = "recommendation_not_found";
}
export class RecommendationNotOpenError extends RpcError {
  override name = "RecommendationNotOpenError";
  override readonly status = 409;
  override readonly clientCode = "recommendation_not_open";
}
export class RecommendationNotClaimedError extends RpcError {
  override name = "RecommendationNotClaimedError";
  override readonly status = 409;
  override readonly clientCode = "recommendation_not_claimed";
}
/** A verification names a completion that is gone (its recommendation was deleted). */
export class CompletionNotFoundError extends RpcError {
  override name = "CompletionNotFoundError";
  override readonly status = 404;
  override readonly clientCode = "completion_not_found";
}
/** The account signed up another way (e-mail, say): nothing links it to GitHub. */
export class GitHubIdentityMissingError extends RpcError {
  override name = "GitHubIdentityMissingError";
  override readonly status = 409;
  override readonly clientCode = "github_identity_missing";
  override readonly clientMessage =
    "this account has no GitHub identity; sign in with GitHub (or link GitHub to this account) and try again";
}
export class ProfileMissingError extends RpcError {
  override name = "ProfileMissingError";
  override readonly status = 409;
  override readonly clientCode = "profile_missing";
  override readonly clientMessage = "no profile yet; sign in (bootstrap-profile) first";
}
export class ApiKeyLimitReachedError extends RpcError {
  override name = "ApiKeyLimitReachedError";
  override readonly status = 409;
  override readonly clientCode = "api_key_limit_reached";
  override readonly clientMessage = "you already have 5 active API keys; revoke one first";
}
/** Also for someone else's key: no existence oracle. */
export class ApiKeyNotFoundError extends RpcError {
  override name = "ApiKeyNotFoundError";
  override readonly status = 404;
  override readonly clientCode = "api_key_not_found";
}
export class PermissionDeniedError extends RpcError {
  override name = "PermissionDeniedError";
}
export class InvalidArgumentsError extends RpcError {
  override name = "InvalidArgumentsError";
  override readonly status = 400;
  override readonly clientCode = "invalid_arguments";
}
export class ConflictError extends RpcError {
  override name = "ConflictError";
}
/** The database could not be reached or is overloaded: safe to retry. */
export class DatabaseUnavailableError extends RpcError {
  override name = "DatabaseUnavailableError";
  override readonly status = 503;
  override readonly clientCode = "database_unavailable";
  override readonly retryable = true;
}
/** The RPC answered with a shape its contract does not allow. */
export class RpcContractError extends RpcError {
  override name = "RpcContractError";
}

type ErrorClass = new (rpc: string, code: string, message: string) => RpcError;

const BY_SQLSTATE: Record<string, [ErrorClass, string]> = {
  CF001: [ClaimLimitReachedError, "the user already has 3 active claims"],
  CF002: [RecommendationNotFoundError, "no such recommendation for this user"],
  CF003: [RecommendationNotOpenError, "the recommendation is not open"],
  CF004: [RecommendationNotClaimedError, "the recommendation is not claimed"],
  CF005: [GitHubIdentityMissingError, "the user has no GitHub identity"],
  CF006: [ProfileMissingError, "the user has no profile yet"],
  CF007: [CompletionNotFoundError, "no such completion"],
  CF008: [ApiKeyLimitReachedError, "the user already has 5 active API keys"],
  CF009: [ApiKeyNotFoundError, "no such API key for this user"],
  "42501": [PermissionDeniedError, "permission denied"],
  "42883": [RpcContractError, "no such function with these argument names"],
  PGRST202: [RpcContractError, "no such function with these argument names"],
  "22004": [InvalidArgumentsError, "a required argument is null"],
  "22023": [InvalidArgumentsError, "an argument has an invalid value"],
  "22P02": [InvalidArgumentsError, "an argument has an invalid format"],
  "23502": [InvalidArgumentsError, "a required value is missing"],
  "23514": [InvalidArgumentsError, "a value violates a check constraint"],
  "23503": [ConflictError, "a referenced row does not exist"],
  "23505": [ConflictError, "a unique value already exists"],
  "40001": [DatabaseUnavailableError, "serialization failure, retry"],
  "40P01": [DatabaseUnavailableError, "deadlock detected, retry"],
  // A write reached a read-only server: a standby mid-failover, writable again once promoted.
  "25006": [DatabaseUnavailableError, "the server is read-only (failover?), retry"],
  // lock_timeout expired: another transaction held the row; the same call may pass next time.
  "55P03": [DatabaseUnavailableError, "lock not available, retry"],
  PGRST000: [DatabaseUnavailableError, "PostgREST could not connect to the database"],
  PGRST001: [DatabaseUnavailableError, "PostgREST could not connect to the database"],
  PGRST002: [DatabaseUnavailableError, "PostgREST schema cache not ready"],
  PGRST003: [DatabaseUnavailableError, "PostgREST connection pool timed out"],
};

/** SQLSTATE classes that describe the server's state, not the call: retrying later may pass. */
const UNAVAILABLE_CLASSES: Record<string, string> = {
  // Connection exceptions: the socket or the session broke.
  "08": "connection failure",
  // Insufficient resources (connections, memory, disk): the server is overloaded, not the call wrong.
  "53": "insufficient resources",
  // Operator intervention: canceled, shutting down (57P01/02), starting or in recovery (57P03).
  "57": "operator intervention (shutdown, restart or cancel)",
  // System error: I/O failures inside the server; nothing the caller can fix.
  "58": "system error in the database server",
};

/** Maps a SQLSTATE (or PostgREST code) to its domain error. */
export function errorForCode(rpc: string, code: string | undefined): RpcError {
  const known = code ? BY_SQLSTATE[code] : undefined;
  if (known) return new known[0](rpc, code!, known[1]);
  const unavailable = code?.length === 5 ? UNAVAILABLE_CLASSES[code.slice(0, 2)] : undefined;
  if (unavailable) return new DatabaseUnavailableError(rpc, code!, unavailable);
  return new RpcError(rpc, code ?? "unknown", `failed with SQLSTATE ${code ?? "unknown"}`);
}

/** Errors with no SQLSTATE: the socket never reached Postgres or dropped. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

export function isNetworkFailure(code: string | undefined): boolean {
  return code !== undefined && NETWORK_CODES.has(code);
}
