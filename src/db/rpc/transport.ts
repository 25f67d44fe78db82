/**
 * How an RPC reaches Postgres. Both transports call `public.<name>(args)` as
 * service_role and return the function's rows, or throw an RpcError subclass.
 */
export interface RpcTransport {
  readonly kind: "sql" | "supabase";
  /** `signal`: cancel the call when it aborts (best effort). */
  call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown[]>;
  close(): Promise<void>;
}
