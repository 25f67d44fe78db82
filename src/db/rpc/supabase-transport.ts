import { createClient } from "@supabase/supabase-js";
import { DatabaseUnavailableError, RpcError, errorForCode } from "./errors.ts";
import type { RpcTransport } from "./transport.ts";

export interface SupabaseTransportOptions {
  url: string;
  serviceRoleKey: string;
  fetch?: typeof fetch;
}

/**
 * PostgREST `POST /rest/v1/rpc/<name>` through supabase-js with the service-role
 * key. The key never appears in errors: supabase-js errors are reduced to their code.
 */
export function createSupabaseTransport(options: SupabaseTransportOptions): RpcTransport {
  const client = createClient(options.url, options.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: options.fetch ? { fetch: options.fetch } : {},
  });
  return {
    kind: "supabase",
    async call(name, args, signal) {
      // Aborting frees our socket; PostgREST may still finish the call on its side.
      const response = await (signal
        ? client.rpc(name, args).abortSignal(signal)
        : client.rpc(name, args));
      const { error, status } = response;
      const rows: unknown = response.data;
      if (error) {
        // supabase-js reports a failed fetch as an error with an empty code and status 0.
        if (!error.code && (status === 0 || status >= 500 || status === 429)) {
          throw new DatabaseUnavailableError(
            name,
            String(status || "network"),
            "Supabase unreachable or overloaded",
          );
        }
        const mapped = errorForCode(name, error.code || (status >= 500 ? "08000" : undefined));
        // A gateway or PostgREST answering "unavailable" is transient whatever code it carries.
        if (mapped.constructor === RpcError && (status === 502 || status === 503 || status === 504))
          throw new DatabaseUnavailableError(name, mapped.code, `Supabase answered ${status}`);
        throw mapped;
      }
      if (rows === null) return [];
      return Array.isArray(rows) ? (rows as unknown[]) : [rows];
    },
    close: () => Promise.resolve(),
  };
}
