import type { Sql } from "postgres";
import { DatabaseUnavailableError, RpcError, errorForCode, isNetworkFailure } from "./errors.ts";
import type { RpcTransport } from "./transport.ts";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Direct SQL: `select * from public.<fn>(arg => $1, ...)` with named arguments, so
 * argument order never matters, as with PostgREST. The connection must run as
 * service_role (see createSql's `role`) for grants to mean the same as on Supabase.
 */
export function createSqlTransport(sql: Sql<{ bigint: number }>): RpcTransport {
  return {
    kind: "sql",
    async call(name, args, signal) {
      const keys = Object.keys(args);
      for (const key of [name, ...keys]) {
        if (!IDENTIFIER.test(key))
          throw new RpcError(
            name,
            "invalid_identifier",
            "function or argument name is not a plain identifier",
          );
      }
      const params = keys.map((k, i) => `${k} => $${i + 1}`).join(", ");
      // Named prepared statements: the text is fixed per RPC and argument set, so each
      // connection parses and plans it once (postgres.js does not prepare unsafe() by default).
      const query = sql.unsafe(
        `select * from public.${name}(${params})`,
        keys.map((k) => args[k]) as never[],
        { prepare: true },
      );
      // cancel() drops a query still queued for a connection, else sends Postgres a CancelRequest
      // (its promise is typed void; a failed cancel only means the query ran on).
      const cancel = () => void Promise.resolve(query.cancel() as unknown).catch(() => undefined);
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        if (signal?.aborted) cancel();
        return [...(await query)];
      } catch (err) {
        throw toRpcError(name, err);
      } finally {
        signal?.removeEventListener("abort", cancel);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

function toRpcError(name: string, err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const code = (err as { code?: unknown }).code;
  const codeText = typeof code === "string" ? code : undefined;
  // PostgresError carries a 5-character SQLSTATE; anything else failed before Postgres answered.
  if ((err as { name?: string }).name === "PostgresError" && codeText)
    return errorForCode(name, codeText);
  if (isNetworkFailure(codeText))
    return new DatabaseUnavailableError(name, codeText!, "database unreachable");
  return new DatabaseUnavailableError(
    name,
    codeText ?? "unknown",
    "database call failed before an answer",
  );
}
