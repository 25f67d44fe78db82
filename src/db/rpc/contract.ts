import { z } from "zod";
import { defineRpc } from "./define-rpc.ts";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const timestamp = z.coerce.date();

/**
 * Every Postgres function the service calls, one entry each. Argument names are
 * the SQL parameter names (PostgREST matches on them). Args are `.strict()`: a
 * stray key is a programming error, not something to forward to SQL.
 */
export const rpcContract = {
  healthcheck: defineRpc(z.object({}).strict(), z.object({ ok: z.boolean(), checked_at: timestamp })),
  claim_recommendation_atomic: defineRpc(
    z.object({ p_rec_id: id, p_user_id: z.uuid() }).strict(),
    z.object({ id }),
  ),
  release_recommendation: defineRpc(
    z.object({ p_rec_id: id, p_user_id: z.uuid() }).strict(),
    z.object({ id, status: z.enum(["open", "expired"]) }),
  ),
} as const;

export type RpcContract = typeof rpcContract;
export type RpcName = keyof RpcContract;
export type RpcArgs<N extends RpcName> = z.input<RpcContract[N]["args"]>;
export type RpcRow<N extends RpcName> = z.output<RpcContract[N]["row"]>;
