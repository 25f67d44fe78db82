import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  ClaimLimitReachedError,
  DatabaseUnavailableError,
  InvalidArgumentsError,
  RecommendationNotClaimedError,
  RecommendationNotFoundError,
  RecommendationNotOpenError,
  type RpcError,
} from "../../db/rpc/errors.ts";
import { ActionError } from "./action-error.ts";

export interface ErrorResponse {
  status: ContentfulStatusCode;
  body: { error: string; message?: string };
  headers?: Record<string, string>;
}

type RpcErrorClass = abstract new (...args: never[]) => RpcError;

// Only errors the caller can act on get a code of their own. Permission,
// contract and conflict errors mean the server or schema is wrong: they stay 500.
const RPC_ERRORS: ReadonlyArray<[RpcErrorClass, ContentfulStatusCode, string]> = [
  [ClaimLimitReachedError, 409, "claim_limit_reached"],
  [RecommendationNotFoundError, 404, "recommendation_not_found"],
  [RecommendationNotOpenError, 409, "recommendation_not_open"],
  [RecommendationNotClaimedError, 409, "recommendation_not_claimed"],
  [InvalidArgumentsError, 400, "invalid_arguments"],
  [DatabaseUnavailableError, 503, "database_unavailable"],
];

/** The client-facing form of an error an action threw, or undefined for "internal". */
export function errorResponse(err: unknown): ErrorResponse | undefined {
  if (err instanceof ActionError) {
    return {
      status: err.status,
      body: { error: err.code, ...(err.publicMessage ? { message: err.publicMessage } : {}) },
    };
  }
  for (const [type, status, code] of RPC_ERRORS) {
    if (!(err instanceof type)) continue;
    // Retryable by contract (see DatabaseUnavailableError); tell clients when.
    return {
      status,
      body: { error: code },
      ...(status === 503 ? { headers: { "retry-after": "5" } } : {}),
    };
  }
  return undefined;
}
