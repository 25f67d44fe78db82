import { NonRetriableError } from "inngest";
import { RpcError } from "../db/rpc/errors.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";

/**
 * A typed, non-retryable RPC error (bad arguments, a contract or permission fault, a
 * domain refusal) fails the same way on every retry, so it ends the run at once.
 * Unknown errors (a bare RpcError) and outages stay retriable.
 */
export function isPermanentRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError && !err.retryable && err.constructor !== RpcError;
}

/** The RPC client Inngest functions use: permanent errors become NonRetriableError. */
export function permanentErrorsEndRuns(rpc: RpcClient): RpcClient {
  return {
    transport: rpc.transport,
    async call(name, args) {
      try {
        return await rpc.call(name, args);
      } catch (err) {
        if (isPermanentRpcError(err)) throw new NonRetriableError(err.message, { cause: err });
        throw err;
      }
    },
    close: () => rpc.close(),
  };
}
