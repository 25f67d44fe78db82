import type { RpcClient } from "../db/rpc/rpc-client.ts";
import type { RankedCandidate } from "./rank.ts";

export const RECOMMENDATION_TTL_DAYS = 7;
const DAY_MS = 86_400_000;

/**
 * Upserts the ranked recommendations with a 7-day expiry, unique per (user, issue): open
 * rows get the new score and expiry; rows the user acted on are left alone.
 */
export async function writeRecommendations(
  rpc: RpcClient,
  input: { userId: string; ranked: RankedCandidate[]; now: Date; actor: string },
): Promise<{ inserted: number; refreshed: number }> {
  if (input.ranked.length === 0) return { inserted: 0, refreshed: 0 };
  const [row] = await rpc.call("upsert_recommendations", {
    p_user_id: input.userId,
    p_items: input.ranked.map((r) => ({ candidate_issue_id: r.id, rank_score: r.score })),
    p_expires_at: new Date(input.now.getTime() + RECOMMENDATION_TTL_DAYS * DAY_MS),
    p_actor: input.actor,
  });
  return { inserted: row?.inserted ?? 0, refreshed: row?.refreshed ?? 0 };
}
