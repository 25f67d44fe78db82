import type { ContentfulStatusCode } from "hono/utils/http-status";
import { RpcError } from "../../db/rpc/errors.ts";
import { ActionError } from "./action-error.ts";

export interface ErrorResponse {
  status: ContentfulStatusCode;
  body: { error: string; message?: string };
  headers?: Record<string, string>;
}

/**
 * The client-facing form of an error an action threw, or undefined for "internal".
 * Status and code come from the error itself (src/db/rpc/errors.ts): no second table.
 */
export function errorResponse(err: unknown): ErrorResponse | undefined {
  if (err instanceof ActionError) {
    return {
      status: err.status,
      body: { error: err.code, ...(err.publicMessage ? { message: err.publicMessage } : {}) },
    };
  }
  if (!(err instanceof RpcError) || err.status === 500) return undefined;
  return {
    status: err.status,
    body: { error: err.clientCode, ...(err.clientMessage ? { message: err.clientMessage } : {}) },
    // Retryable by contract (see DatabaseUnavailableError): tell clients when.
    ...(err.retryable ? { headers: { "retry-after": "5" } } : {}),
  };
}
