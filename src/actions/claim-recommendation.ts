import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { defineAction } from "../http/actions/index.ts";

const input = z
  .object({ recommendationId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) })
  .strict();

/** The user id is the verified session's, never a field of the request. */
export function claimRecommendation(deps: { rpc: RpcClient }) {
  return defineAction({
    input,
    // Claiming commits a person to the work (seed 002): automation keys may not claim.
    humanOnly: true,
    async run({ session }, { recommendationId }) {
      await deps.rpc.call("claim_recommendation_atomic", {
        p_rec_id: recommendationId,
        p_user_id: session.userId,
      });
      return { recommendationId, status: "claimed" as const };
    },
  });
}

export function releaseRecommendation(deps: { rpc: RpcClient }) {
  return defineAction({
    input,
    humanOnly: true,
    async run({ session }, { recommendationId }) {
      const [row] = await deps.rpc.call("release_recommendation", {
        p_rec_id: recommendationId,
        p_user_id: session.userId,
      });
      return { recommendationId, status: row!.status };
    },
  });
}
